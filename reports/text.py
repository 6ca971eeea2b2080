"""How values are written in a report: times, shares and numbers, one way everywhere.

Shared by the view model (which pre-formats gate evidence) and the templates (as Jinja
filters), so a time reads the same on the cover, in the inventory and in a lifecycle row.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):(\d{2})(\.\d+)?Z$")


def short_time(value: str | None) -> str:
    """'2026-07-20T09:00:00Z' as '2026-07-20 09:00 UTC' (seconds kept when not zero).

    Times with an offset are shown exactly as the snapshot wrote them: converting them
    would show the reader a time that appears nowhere in the evidence.
    """
    if not value:
        return ""
    match = _TIME.match(value)
    if not match:
        return value
    date, minutes, seconds, fraction = match.groups()
    clock = minutes if seconds == "00" and not fraction else f"{minutes}:{seconds}"
    return f"{date} {clock} UTC"


def compact_time(value: str | None) -> str:
    """'2026-07-20T09:00:00Z' as '2026-07-20 09:00' for dense tables whose legend says
    times are UTC; anything else (offsets, seconds) as short_time writes it."""
    text = short_time(value)
    return text[:-4] if text.endswith(" UTC") else text


def percent(value: float | None) -> str:
    """A compliance rate: one decimal at most, 'n/a' when nothing was checked."""
    if value is None:
        return "n/a"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} %"


def number(value: float | int) -> str:
    """90.0 as '90', 12.5 as '12.5': traffic shares and metrics as people write them."""
    return f"{value:g}"


# ----------------------------------------------------------------------------- markup
# Report text is escaped first; the helpers below then add only our own small elements,
# so snapshot text can never become markup.

_CODE = re.compile(r"`([^`\n]+)`")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def code_spans(text: str | None) -> Markup:
    """Rule metadata (remediation, descriptions) with its `code` spans as <code>; every
    other character escaped, a lone backtick left as written."""
    escaped = str(escape(text or ""))
    return Markup(_CODE.sub(r"<code>\1</code>", escaped))


def _email_breaks(match: re.Match[str]) -> str:
    local, domain = match.group(0).split("@", 1)
    return f"{local}@<wbr>{domain}"


def wrap_emails(text: str | None) -> Markup:
    """Text whose e-mail addresses may break after the '@' (a part longer than its whole
    column still wraps, as a last resort): a <wbr> adds a break opportunity without adding
    a character, so copying the address still gives the address."""
    escaped = str(escape(text or ""))   # escaping leaves letters, digits, '.', '@' as is
    return Markup(_EMAIL.sub(_email_breaks, escaped))


def clause(control: str, prefix: str) -> Markup:
    """A control reference such as 'ISO/IEC 42001 A.6.2.3' as two unbreakable runs, the
    framework ('ISO/IEC 42001') and the clause ('A.6.2.3'): a line may break between them,
    never inside one. `prefix` is the framework's prefix; a reference to a framework we do
    not know ('') is plain text, free to wrap (its length and shape are unknown)."""
    if not prefix or not control.startswith(prefix + " "):
        return Markup(escape(control))
    return Markup('<span class="nobr">{}</span> <span class="nobr">{}</span>').format(
        prefix, control[len(prefix) + 1:])
