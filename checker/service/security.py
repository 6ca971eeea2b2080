"""What the service tells browsers, and how it judges what a browser sends.

- Security headers: every dashboard page and every HTML report forbids scripts, framing,
  anything fetched from elsewhere and content sniffing. The dashboard's stylesheet is
  served from this site; a report carries its stylesheet inline (the same file is a
  self-contained download and the PDF's source), so its policy allows exactly that
  stylesheet, by its SHA-256 hash, and no other.
- Cross-site requests: a state-changing request (POST and the like) that a browser says
  comes from another site is refused, on the dashboard (login, logout) and on the API.
  The browser's word is `Sec-Fetch-Site` when it sends it (anything but `same-origin`, or
  `none` for what the user did directly, is another site), else `Origin`, whose host must
  be this request's `Host`. A request with neither header is not from a browser page
  (curl, CI, exporters) and is not affected.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from fastapi import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_DASHBOARD_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
SECURITY_HEADERS: dict[str, str] = {"Content-Security-Policy": _DASHBOARD_CSP, **_COMMON}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

_STYLE = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style\s*>", re.S | re.I)


def inline_style_hashes(html: str) -> list[str]:
    """The CSP source expressions ('sha256-…') of the page's <style> elements."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(m.encode('utf-8')).digest()).decode()}'"
            for m in _STYLE.findall(html)]


def report_headers(html: str) -> dict[str, str]:
    """The headers of an HTML report: the dashboard's, with its own stylesheet allowed by
    hash instead of a stylesheet of this site (the report has no forms and no links out)."""
    styles = " ".join(dict.fromkeys(inline_style_hashes(html))) or "'none'"
    policy = (f"default-src 'none'; style-src {styles}; img-src data:; form-action 'none'; "
              "frame-ancestors 'none'; base-uri 'none'")
    return {"Content-Security-Policy": policy, **_COMMON}


def _authority(host: str) -> str:
    """host[:port] lower-cased, without a default port (a proxy that terminates TLS keeps
    the Host of the https origin while this service sees plain http)."""
    text = host.strip().lower()
    name, sep, port = text.rpartition(":")
    if sep and name and port.isdigit():
        return name if port in ("80", "443") else text
    return text


def cross_site(request: Request) -> str | None:
    """Why a state-changing request comes from another site, in one line; None if it does
    not (same origin, or not a browser page at all)."""
    if request.method in SAFE_METHODS:
        return None
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        if fetch_site.strip().lower() in ("same-origin", "none"):
            return None
        return f"the browser sent it from another site (Sec-Fetch-Site: {fetch_site[:40]})"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    parts = urlsplit(origin.strip())
    host = request.headers.get("host", "")
    if parts.scheme in ("http", "https") and parts.netloc and host \
            and _authority(parts.netloc) == _authority(host):
        return None
    return f"the browser sent it from another site (Origin: {origin[:100]})"
