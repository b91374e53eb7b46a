"""A title's numbers and its story id (sentiment/stories.py ``_title`` normalises a title once for both)."""
from __future__ import annotations

import hashlib
import re
from typing import Final

_NUMBER = re.compile(r"\d+")
# 1 at each BMP character ``\d`` matches, read by ``ord(_DECIMALS[code])`` (native when compiled).
_DECIMALS: Final = bytes([chr(c).isdecimal() for c in range(0x10000)]).decode("latin-1")


def numbers_of(norm: str) -> tuple[str, ...]:
    """Each run of decimal digits (``_NUMBER``'s matches: ``\\d`` is str.isdecimal) without its leading zeros, found
    by one look-up per character (_DECIMALS); by the pattern where a character is beyond the BMP."""
    found: list[str] = []
    decimals = _DECIMALS
    start = -1  # where the run of digits being read began
    for i in range(len(norm)):
        code = ord(norm[i])
        if code >= 0x10000:
            return tuple([n.lstrip("0") or "0" for n in _NUMBER.findall(norm)])
        if ord(decimals[code]):
            if start < 0:
                start = i
        elif start >= 0:
            found.append(norm[start:i].lstrip("0") or "0")
            start = -1
    if start >= 0:
        found.append(norm[start:].lstrip("0") or "0")
    return tuple(found)


def story_id_of(key: str) -> str:
    """``stable_id("story", key)`` (contracts/messages.py), computed here: natively, not through a Python frame."""
    return hashlib.sha1(f"story\x1f{key}".encode()).hexdigest()[:20]
