"""Tokenisation: jieba with an insurance user dictionary.

Two engines share one dictionary (jieba's own plus ``data/insurance_dict.txt``
plus the member-unit aliases, so 中国人寿吉林省分公司, 退保难 or 销售误导 are
never split):

* ``words()`` — precise mode through rjieba (jieba-rs, the Rust port of
  jieba: same dictionary, same DAG + HMM algorithm, about 17x faster, and it
  honours ``add_word``). The scorer and the sentiment model use these tokens;
  the model was trained on them (tools/train_sentiment.py).
* ``search_tokens()`` — search mode (long words also yield their parts)
  through the same rjieba engine, for the full-text index: the same tokens
  Python jieba's ``cut_for_search`` gives, about 8x faster, with no second
  dictionary in memory.

One ``Tokenizer`` per process; the composition root builds it once.
Chinese text only: documents in other languages never reach it (see
contracts/language.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources

import rjieba

from contracts.language import has_han

_WORDISH = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
# A sentence ends at 。！？!?；; or …, or at a line break; closing quotes and
# brackets stay with the sentence they close.
_ENDS = "。！？!?；;…"
_CLOSERS = "”’」』）)"
_SENTENCE = re.compile(rf"[^{_ENDS}\n]*(?:[{_ENDS}]+[{_CLOSERS}]*|\n|$)")
# sentence_spans finds the same ends by str.find (the regex tests every
# character against the class, ten times the cost).
_STOPS = _ENDS + "\n"


def user_dictionary_lines() -> list[str]:
    text = resources.files("sentiment").joinpath("data/insurance_dict.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _entries(extra_words: Iterable[str]) -> list[tuple[str, int | None, str | None]]:
    out: list[tuple[str, int | None, str | None]] = []
    for line in user_dictionary_lines():
        word, *rest = line.split()
        out.append((word, int(rest[0]) if rest else None, rest[1] if len(rest) > 1 else None))
    # Aliases get a high frequency so the DAG prefers them over their parts.
    # Only those with Han characters: jieba keeps runs of ASCII letters
    # together by itself, and an ASCII alias in its dictionary would split
    # longer words (PICC would cut PICCOLO into PICC + OLO, in the index too).
    out.extend((w, 2000, None) for w in extra_words if w.strip() and has_han(w))
    return out


class Tokenizer:
    """jieba (via rjieba) loaded with the insurance dictionary and any extra
    words (member-unit aliases) so they are never split."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._entries = _entries(extra_words)
        self._rj = rjieba.Jieba()
        for word, freq, tag in self._entries:
            self._rj.add_word(word, freq, tag)

    def words(self, text: str) -> list[str]:
        """Precise-mode tokens without whitespace or punctuation."""
        return [w for w in self._rj.cut(text) if _WORDISH.search(w)]

    def cut(self, text: str) -> list[str]:
        """Precise-mode tokens as they come, punctuation included (fastest;
        for the sentiment model, whose vocabulary has no punctuation)."""
        return self._rj.cut(text)

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """Precise-mode ``(token, part of speech)`` pairs (jieba's tag set:
        ns place, nr person, nt organisation, m numeral, …), punctuation dropped."""
        return [(w, t) for w, t in self._rj.tag(text) if is_word(w)]

    def tags(self, text: str) -> list[tuple[str, str]]:
        """:meth:`tagged` with punctuation kept, for callers that drop most
        tokens by cheaper tests first and then ask :func:`is_word`."""
        return self._rj.tag(text)

    def search_tokens(self, text: str) -> list[str]:
        """Search-mode tokens (long words also yield their parts), lower-cased,
        for the full-text index."""
        # isalnum() is true for nearly every token (Han characters are
        # alphanumeric) and much cheaper than the regex, kept for the rest.
        return [w.lower() for w in self._rj.cut_for_search(text) if w.isalnum() or _WORDISH.search(w)]


def is_word(token: str) -> bool:
    """Not whitespace or punctuation: a letter, digit or Han character
    (the test :meth:`Tokenizer.search_tokens` makes inline)."""
    return token.isalnum() or _WORDISH.search(token) is not None


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences, keeping the end punctuation."""
    return [s for s, _ in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[str, int]]:
    """Sentences of ``text`` (stripped) with their start offsets in ``text``:
    ``_SENTENCE``'s matches, a run of ``_ENDS`` with the closing quotes and
    brackets after it, or a line break, ending each."""
    stops: list[int] = []
    for c in _STOPS:
        i = text.find(c)
        while i >= 0:
            stops.append(i)
            i = text.find(c, i + 1)
    stops.sort()
    out: list[tuple[str, int]] = []
    n = len(text)
    start = 0
    for p in stops:
        if p < start:  # within the run of ends just taken
            continue
        end = p + 1
        if text[p] != "\n":
            while end < n and text[end] in _ENDS:
                end += 1
            while end < n and text[end] in _CLOSERS:
                end += 1
        _add_sentence(out, text[start:end], start)
        start = end
    _add_sentence(out, text[start:], start)
    return out


def _add_sentence(out: list[tuple[str, int]], raw: str, at: int) -> None:
    """``raw`` (at ``at``) stripped, with the offset of its first kept character, unless it is blank."""
    s = raw.strip()
    if s:
        out.append((s, at + (len(raw) - len(raw.lstrip()))))
