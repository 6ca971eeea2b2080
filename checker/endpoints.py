"""A snapshot's endpoints as a gate looks them up: by the name a person reads, and by the
strictest environment each serves. Built once per loaded snapshot (a gate service answers
many proposals against one stored registry, and each would otherwise normalise every
endpoint name again)."""

from __future__ import annotations

import unicodedata
from typing import Any

ENVIRONMENTS = ("development", "staging", "production")   # least to most strict

# Characters that do not change how a name looks: format characters (U+200B zero-width
# space, U+200D, U+2060, U+FEFF...), controls, white space, combining marks, and the
# default-ignorable letters and symbols that print as nothing (Hangul fillers, variation
# selectors, the combining grapheme joiner, the braille blank).
_INVISIBLE = {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"}
_BLANK = {0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0, *range(0x180B, 0x1810),
          *range(0xFE00, 0xFE10)}
# Letters and dashes of other scripts that look like Latin ones (the common part of
# Unicode's confusables for names: Cyrillic and Greek lookalikes, dash variants).
_CONFUSABLE = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k",
    "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ℓ": "l",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2212": "-", "\ufe63": "-", "\uff0d": "-",
})


def name_key(name: str) -> str:
    """A name as a person reads it: Unicode-compatibility normalised (NFKC), case folded,
    common confusable letters and dashes mapped to Latin ones, without invisible
    characters. Two endpoint names with one key look the same."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_CONFUSABLE)
    return "".join(c for c in folded
                   if unicodedata.category(c) not in _INVISIBLE and ord(c) not in _BLANK)


class Endpoints:
    """The endpoints of one snapshot document, indexed by name_key and by environment."""

    def __init__(self, document: dict[str, Any]) -> None:
        by_key: dict[str, set[str]] = {}
        strictest: dict[str, int] = {}
        for d in document.get("deployments") or ():
            name = d["endpoint"]
            by_key.setdefault(name_key(name), set()).add(name)
            if d["environment"] in ENVIRONMENTS:
                rank = ENVIRONMENTS.index(d["environment"])
                strictest[name] = max(rank, strictest.get(name, rank))
        self._by_key = {key: sorted(names) for key, names in by_key.items()}
        self._strictest = strictest

    def lookalike(self, endpoint: str) -> str | None:
        """An existing endpoint whose name looks like `endpoint` without being it (the
        first in sort order)."""
        return next((name for name in self._by_key.get(name_key(endpoint), ())
                     if name != endpoint), None)

    def strictest(self, endpoint: str) -> str | None:
        """The strictest environment the endpoint serves, None for a new endpoint."""
        rank = self._strictest.get(endpoint)
        return None if rank is None else ENVIRONMENTS[rank]
