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
* ``word_tags()`` — a token's part of speech (jieba's ``tag``) told from the token alone and remembered, so a
  text cut once (``CutText``, ``cut_with``: a text's cut from its parts' cuts) serves both the sentiment model
  and the key terms, without a second pass to tag it.

One ``Tokenizer`` per process; the composition root builds it once.
Chinese text only: documents in other languages never reach it (see
contracts/language.py).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from importlib import resources
from typing import Final

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
        self._word_tags: dict[tuple[str, ...], WordTags] = {}

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

    def cut_with(self, text: str, pieces: dict[str, list[str]]) -> list[str]:
        """:meth:`cut` of ``text`` given the cuts of some of its substrings (``pieces``: each substring's tokens),
        taken where they first occur with ends where jieba cuts anyway (``_APART``, as in :class:`CutText`); only the
        rest is cut. The same tokens (a test compares): jieba cuts a text at such a point whatever surrounds it."""
        found: list[tuple[int, int, list[str]]] = []
        for part, tokens in pieces.items():
            a = text.find(part)
            if a >= 0 and part and _cut_at(text, a) and _cut_at(text, a + len(part)):
                found.append((a, a + len(part), tokens))
        found.sort()
        out: list[str] = []
        at = 0
        for a, b, tokens in found:
            if a < at:
                continue  # overlaps the piece before
            if a > at:
                out.extend(self._gap(text[at:a]))
            out.extend(tokens)
            at = b
        if at < len(text):
            out.extend(self._gap(text[at:]))
        return out

    def _gap(self, text: str) -> list[str]:
        # One character jieba keeps apart (the line break after a title) is its own token: no call into rjieba.
        return [text] if len(text) == 1 and text in _APART else self._rj.cut(text)

    def word_tags(self, kept: tuple[str, ...]) -> WordTags:
        """Tags of tokens cut already, without tagging the text (:class:`WordTags`), built at the first call."""
        found = self._word_tags.get(kept)
        if found is None:
            found = self._word_tags[kept] = WordTags(self, kept)
        return found

    def search_tokens(self, text: str) -> list[str]:
        """Search-mode tokens (long words also yield their parts), lower-cased,
        for the full-text index."""
        # isalnum() is true for nearly every token (Han characters are
        # alphanumeric) and much cheaper than the regex, kept for the rest.
        return [w.lower() for w in self._rj.cut_for_search(text) if w.isalnum() or _WORDISH.search(w)]


# Characters jieba never joins to a neighbour: it cuts each run of Han characters, ASCII letters, digits and
# +#&._%- alone, and any other character is a token of its own ("\r\n" excepted, one token). A boundary at one
# of these is a boundary of every substring's cut too. A subset (jieba's class is wider), so exact.
_APART = frozenset(" \t\n\r\u3000\xa0，。！？!?；;…：:、|,“”‘’「」『』（）()《》【】—·")


def _cut_at(text: str, at: int) -> bool:
    """Whether jieba cuts ``text`` at ``at`` whatever the text around: an end, or next to a character of ``_APART``
    (not between the two characters of "\r\n", one token)."""
    if at == 0 or at >= len(text):
        return True
    before, after = text[at - 1], text[at]
    return (before in _APART or after in _APART) and not (before == "\r" and after == "\n")


class CutText:
    """A text's precise-mode tokens (:meth:`Tokenizer.cut`), which also give the precise-mode tokens of its
    substrings that begin and end where jieba cuts whatever surrounds them (see ``_APART``): jieba cuts each run of
    Han characters, letters and digits by itself, so a substring made of whole runs is cut into the same tokens as
    the text around it (a test compares with :meth:`Tokenizer.cut`)."""

    def __init__(self, text: str, tokens: list[str]) -> None:
        self.text, self.tokens = text, tokens
        self._starts: list[int] = []  # each token's offset, built at the first cut

    def cut(self, part: str) -> list[str] | None:
        """:meth:`Tokenizer.cut` of ``part`` from the tokens, or None when ``part`` is not found in the text with
        ends where jieba cuts anyway."""
        text = self.text
        a = text.find(part)
        n = len(part)
        if a < 0 or n == 0:
            return None
        b = a + n
        if a > 0 and text[a - 1] not in _APART and text[a] not in _APART:
            return None
        if b < len(text) and text[b - 1] not in _APART and text[b] not in _APART:
            return None
        starts = self._starts
        tokens = self.tokens
        if not starts:
            at = 0
            for word in tokens:
                starts.append(at)
                at += len(word)
            starts.append(at)
        i = bisect_left(starts, a)
        j = bisect_left(starts, b, i)
        if i >= len(starts) or starts[i] != a or j >= len(starts) or starts[j] != b:
            return None  # inside a token ("\r\n")
        return tokens[i:j]


# What a token's tag is to a caller that keeps some tags (WordTags.kind). Final: compiled, a constant, not a
# look-up in the module's dict at each use.
OTHER: Final = 0
KEPT: Final = 1
UNTAGGED: Final = 2  # jieba's "x"
UNKNOWN: Final = -1  # told only by tagging the text itself
_KNOWN = 20_000  # words remembered with their kind by WordTags (≈ 2.5 MB at most), then forgotten at once


def tag_kind(tag: str, kept: tuple[str, ...]) -> int:
    return KEPT if tag.startswith(kept) else UNTAGGED if tag == "x" else OTHER


class WordTags:
    """Whether the tag :meth:`Tokenizer.tags` gives a token in a text starts with one of ``kept`` (KEPT), is "x"
    (UNTAGGED) or neither (OTHER), told from the token alone, so that a text cut once (:meth:`Tokenizer.cut`)
    need not be tagged too. rjieba's ``tag`` is its ``cut`` with each token's tag from the dictionary, or for a word
    the dictionary lacks "m" (ASCII digits), "eng" (other ASCII letters or digits) or a part-of-speech HMM's guess
    from the word alone (jieba-rs ``Jieba::tag``, ``guess_tag``): a function of the token. So ``tag`` of the token
    alone gives it, when it keeps the token whole (a word of the dictionary in the text is kept whole alone too:
    jieba's best route through the text is the best through the word's own span); when it does not (实控人 alone
    is cut 实控 + 人, 没人 没 + 人, where the HMM had joined them in the text), the kind is UNKNOWN: the caller tags
    the text and tells :meth:`learn` what it found. Each word's kind is remembered (a stream repeats its words;
    numbers, which seldom repeat, are told by ``has_word`` and the "m" rule). A test compares with
    :meth:`Tokenizer.tags` over the evaluation sets."""

    def __init__(self, tokenizer: Tokenizer, kept: tuple[str, ...]) -> None:
        self.kept = kept
        self._rj = tokenizer._rj
        self._known: dict[str, int] = {}

    def kind(self, word: str) -> int:
        found = self._known.get(word)
        if found is not None:
            return found
        if word.isascii() and word.isdigit():  # a number the dictionary lacks is "m"
            return self._alone(word) if self._rj.has_word(word) else tag_kind("m", self.kept)
        found = self._alone(word)
        if len(self._known) >= _KNOWN:
            self._known.clear()
        self._known[word] = found
        return found

    def learn(self, pairs: list[tuple[str, str]]) -> None:
        """Remember the kinds of the words of a tagged text (:meth:`Tokenizer.tags`) that ``kind`` could not tell:
        a token's tag is a function of the token, only its cut needed the text."""
        known = self._known
        for word, tag in pairs:
            if known.get(word) == UNKNOWN:
                known[word] = tag_kind(tag, self.kept)

    def _alone(self, word: str) -> int:
        """The kind of the tag ``tag`` gives ``word`` alone, or UNKNOWN when it does not keep it whole."""
        pairs = self._rj.tag(word)
        if len(pairs) != 1 or pairs[0][0] != word:
            return UNKNOWN
        return tag_kind(pairs[0][1], self.kept)


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
