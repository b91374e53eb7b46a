"""Crawled text made inert for the medium it goes into.

A title comes from a web page anyone can write. Before it becomes an e-mail
header, an SMS, a DingTalk/WeCom markdown card or a spreadsheet cell it goes
through the function for that medium here:

* ``one_line`` — headers, SMS, card titles: every line break (CR, LF, U+2028,
  U+2029, U+0085, VT, FF) becomes a space; other control characters and the
  bidirectional overrides that can disguise text are dropped.
* ``markdown_text`` — text inside a markdown card: one line, and the characters
  that make links, images, emphasis or HTML (``[ ] ( ) < > ! * ` _ # |``) replaced
  by their full-width forms, so a crawled title cannot change the card's link
  or add a fake "确认收到" link.
* ``markdown_url`` — a link target: http(s) only, with the characters that end
  or break a markdown link target percent-encoded.
* ``cell`` — a CSV/XLSX cell: a value starting with ``= + - @`` (or a tab/CR)
  is prefixed with ``'`` so no spreadsheet runs it as a formula (OWASP CSV injection).

Pure functions, no I/O.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

_BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085\x0b\x0c]+")
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FULL_WIDTH = str.maketrans({"[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "!": "！",
                             "*": "＊", "`": "｀", "_": "＿", "#": "＃", "|": "｜", "\\": "＼"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _printable(ch: str) -> bool:
    return ch == "\t" or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI)


# What ``_printable`` drops, as one character class (Cc is exactly U+0000–U+001F
# and U+007F–U+009F, Cs the surrogates), less tab and line feed, which the
# callers keep or have already replaced: a regular expression instead of a
# Python test per character (e-mail bodies are thousands of characters).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + "".join(sorted(_BIDI)) + "]")


def one_line(text: object) -> str:
    """``text`` as one line of printable characters (whitespace runs collapsed)."""
    s = _BREAKS.sub(" ", str(text or ""))
    s = _UNPRINTABLE.sub("", s).replace("\t", " ")  # no line feed is left to keep
    return re.sub(r" {2,}", " ", s).strip()


def markdown_text(text: object) -> str:
    """``text`` shown literally inside markdown: no link, image, HTML or emphasis can come of it."""
    return one_line(text).translate(_FULL_WIDTH)


def markdown_url(url: object) -> str:
    """A link target that stays one link: http(s) only (else empty), no character that ends the target."""
    s = one_line(url).replace(" ", "%20")
    if urlsplit(s).scheme.lower() not in ("http", "https"):
        return ""
    return quote(s, safe=":/?#@!$&'*+,;=%~.-_")


def multiline(text: object) -> str:
    """Body text (an e-mail body): line breaks kept as ``\\n``, other controls dropped."""
    s = str(text or "").replace("\r\n", "\n")
    s = re.sub(r"[\r\u2028\u2029\u0085\x0b\x0c]", "\n", s)
    return _UNPRINTABLE.sub("", s)


def cell(value: object) -> object:
    """A spreadsheet cell value that is never a formula; numbers and None pass unchanged."""
    if not isinstance(value, str):
        return value
    s = _UNPRINTABLE.sub("", value)
    return "'" + s if s.startswith(FORMULA_START) or value.startswith(FORMULA_START) else s
