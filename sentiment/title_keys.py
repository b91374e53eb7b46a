"""A title's numbers and its story id (sentiment/stories.py ``_title`` normalises a title once for both)."""
from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from typing import Any, Final

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


def _builtin_sha1() -> Callable[[bytes], Any]:
    """CPython's own SHA-1 (the ``_sha1`` module, as ``hashlib`` falls back to), else ``hashlib.sha1``: the same
    digest, without OpenSSL's per-object set-up (≈ 5.7 k instead of 7.8 k instructions per story id)."""
    try:
        found: Callable[[bytes], Any] = importlib.import_module("_sha1").sha1
    except (ImportError, AttributeError):
        return hashlib.sha1
    return found


_SHA1: Final = _builtin_sha1()


def story_id_of(key: str) -> str:
    """``stable_id("story", key)`` (contracts/messages.py), computed here: natively, not through a Python frame."""
    digest: str = _SHA1(f"story\x1f{key}".encode()).hexdigest()
    return digest[:20]
