"""Which texts are Chinese, and plain word tokens for those that are not.

The crawlers set ``Document.language`` (``zh`` by default; overseas media
get ``en`` and the like from crawlers/fields.py ``guess_language``). jieba,
the insurance dictionary and the Bayes model are for Chinese only: English
run through jieba comes out as the same words at best and as fragments at
worst (an ASCII alias in the dictionary splits PICCOLO into PICC + OLO, and
letters outside ASCII become single characters), and the model has never
seen English. So:

* :func:`is_chinese` — a document is Chinese when its language says so
  (``zh``, ``zh-CN``, ``zh_Hant``, ``cmn``…) or, whatever the label, when
  its text is substantially Han: at least one Han character per five Latin
  letters (about one per English word), the rule the crawlers use to guess
  ``zh``. A mislabelled Chinese page still gets the Chinese path; an English
  article quoting 新华保险 once does not.
* :func:`word_tokens` — lower-cased words for everything else: runs of
  letters and digits, a decimal part and ``%`` kept (3.5%), split at
  apostrophes and hyphens (regulator's → regulator, s; mis-selling → mis,
  selling), as jieba cuts ASCII text, so a query reads the same in both
  kinds of document. Han runs inside such a text (a quoted company name)
  go to the tokenizer given, if any, so they are searchable like Chinese.

Pure functions; no I/O, nothing loaded at import.
"""
from __future__ import annotations

import re
from collections.abc import Callable

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = re.compile(f"[{HAN_CLASS}]")
_HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Letters and digits other than Han; a decimal part and a per cent sign stay
# with the number, as jieba keeps them.
_WORD = re.compile(rf"[^\W_{HAN_CLASS}]+(?:\.\d+)?%?")
# ISO 639 codes that mean Chinese besides zh (macrolanguage members, bibliographic).
_CHINESE_CODES = frozenset({"zh", "zho", "chi", "cmn", "yue", "wuu", "hak", "nan", "gan", "hsn", "cjy", "cdo"})
SAMPLE = 3000  # characters looked at to judge the script, as the crawlers do
LETTERS_PER_WORD = 5


def script_counts(sample: str) -> tuple[int, int]:
    """(Han characters, Latin letters) in ``sample``: the one measure of script everywhere."""
    return len(_HAN.findall(sample)), len(_LATIN.findall(sample))


def chinese_label(language: str | None) -> bool:
    """The language label names Chinese (``zh``, ``zh-CN``, ``zh_Hant``, ``cmn``…)."""
    code = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code in _CHINESE_CODES


def substantially_han(*texts: str) -> bool:
    """At least one Han character per ``LETTERS_PER_WORD`` Latin letters, and some Han."""
    han = latin = 0
    left = SAMPLE
    for text in texts:
        sample = text[:left]
        han += len(_HAN.findall(sample))
        latin += len(_LATIN.findall(sample))
        left -= len(sample)
        if left <= 0:
            break
    return han > 0 and han * LETTERS_PER_WORD >= latin


def is_chinese(language: str | None, *texts: str) -> bool:
    """Score and index ``texts`` (title, body…) as Chinese? See the module docstring."""
    return chinese_label(language) or substantially_han(*texts)


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def word_tokens(text: str, han_tokenizer: Callable[[str], list[str]] | None = None) -> list[str]:
    """Lower-cased words of ``text``; Han runs through ``han_tokenizer`` when
    given (else each run is one token)."""
    if not has_han(text):
        return [w.lower() for w in _WORD.findall(text)]
    return _split_han(text, han_tokenizer)


def _split_han(text: str, han_tokenizer: Callable[[str], list[str]] | None) -> list[str]:
    out: list[str] = []
    pos = 0
    for m in _HAN_RUN.finditer(text):
        out += [w.lower() for w in _WORD.findall(text, pos, m.start())]
        out += han_tokenizer(m.group(0)) if han_tokenizer is not None else [m.group(0)]
        pos = m.end()
    out += [w.lower() for w in _WORD.findall(text, pos)]
    return out
