"""Tokenisation: jieba with an insurance user dictionary.

One ``Tokenizer`` per process; building it loads jieba's dictionary (about
half a second), so the composition root builds it once and passes it around.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from importlib import resources

import jieba

# jieba logs its dictionary loading at INFO; keep worker logs readable.
jieba.setLogLevel(logging.WARNING)

_WORDISH = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|\n+")


def user_dictionary_lines() -> list[str]:
    text = resources.files("sentiment").joinpath("data/insurance_dict.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


class Tokenizer:
    """jieba, loaded with the insurance dictionary and any extra words
    (member-unit aliases) so they are never split."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        for line in user_dictionary_lines():
            word, *rest = line.split()
            freq = int(rest[0]) if rest else None
            tag = rest[1] if len(rest) > 1 else None
            self._jieba.add_word(word, freq, tag)
        for word in extra_words:
            self._jieba.add_word(word, 2000)

    def words(self, text: str) -> list[str]:
        """Precise-mode tokens without whitespace or punctuation."""
        return [w for w in self._jieba.cut(text) if _WORDISH.search(w)]

    def search_tokens(self, text: str) -> list[str]:
        """Search-mode tokens (long words also yield their parts), lower-cased,
        for the full-text index."""
        return [w.lower() for w in self._jieba.cut_for_search(text) if _WORDISH.search(w)]


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences, keeping the end punctuation."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
