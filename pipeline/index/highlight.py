"""Text handling shared by every index adapter, so that they agree exactly.

* ``tokenize_for_index``: the default tokenizer (jieba search mode). The
  composition root passes sentiment's jieba-with-user-dictionary tokenizer
  instead; whatever is used must be the same for writing and for querying.
* ``match_terms``: the tokens a query must match. Search mode emits a long
  word *and* its parts ("理赔纠纷" -> 理赔, 纠纷, 理赔纠纷); a word that is made
  of other query tokens is dropped, so a query still matches documents that
  were tokenized with a smaller dictionary (the parts are always there).
* ``highlight``: fragments of the *original* text (not tokens) with matched
  terms wrapped in ``<em></em>`` and everything else HTML-escaped, computed
  in Python so the embedded and Elasticsearch adapters return identical
  fragments.
* ``order_counts``: one ordering of ``counts`` buckets for every adapter.
"""
from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Callable, Iterable, Mapping

Tokenizer = Callable[[str], list[str]]

FRAGMENT_SIZE = 80  # characters of original text per fragment, about two lines in the console
MAX_FRAGMENTS = 3  # per field
_SPACE = re.compile(r"\s+")


def _searchable(token: str) -> bool:
    # A token needs a letter or digit: punctuation-only tokens would become
    # empty phrases in FTS5 and stop words nobody can search for.
    return any(c.isalnum() for c in token)


def tokenize_for_index(text: str) -> list[str]:
    """jieba search-mode tokens, lower-cased, without whitespace/punctuation tokens."""
    import jieba  # imported on first use: loading the dictionary takes ~0.5 s

    jieba.setLogLevel(logging.WARNING)
    return [t.strip().lower() for t in jieba.cut_for_search(text) if _searchable(t)]


def query_tokens(text: str | None, tokenizer: Tokenizer) -> list[str]:
    """The query's searchable tokens, lower-cased, de-duplicated, in order."""
    if not text or not text.strip():
        return []
    seen: dict[str, None] = {}
    for token in tokenizer(text):
        token = token.strip().lower()
        if _searchable(token):
            seen.setdefault(token, None)
    return list(seen)


def _composed_of(word: str, parts: set[str]) -> bool:
    # Can ``word`` be spelled as a concatenation of two or more of ``parts``?
    reach = [True] + [False] * len(word)
    for i in range(len(word)):
        if reach[i]:
            for part in parts:
                if part != word and word.startswith(part, i):
                    reach[i + len(part)] = True
    return reach[len(word)]


def match_terms(tokens: Iterable[str]) -> list[str]:
    """Tokens a document must all contain (see the module docstring)."""
    tokens = list(tokens)
    parts = set(tokens)
    return [t for t in tokens if not _composed_of(t, parts)]


@functools.lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    # Cached: one search highlights title and text of every hit with the same terms.
    alternatives = []
    # Longest first, so "理赔纠纷" is one match rather than "理赔" + "纠纷".
    for term in sorted(set(terms), key=lambda t: (-len(t), t)):
        body = re.escape(term)
        if term.isascii():
            # Latin words match whole words only, as they do in the index.
            body = rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"
        alternatives.append(body)
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def _spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(text):
        if spans and m.start() <= spans[-1][1]:  # touching matches read as one
            spans[-1] = (spans[-1][0], m.end())
        else:
            spans.append((m.start(), m.end()))
    return spans


def highlight(raw: str, terms: Iterable[str], size: int = FRAGMENT_SIZE,
              max_fragments: int = MAX_FRAGMENTS) -> list[str]:
    """Up to ``max_fragments`` fragments of about ``size`` characters of
    ``raw`` around matches of ``terms``; ``[]`` when nothing matches."""
    pattern = _pattern(tuple(terms))
    text = _SPACE.sub(" ", raw).strip()  # fragments are one line of display text
    if pattern is None or not text:
        return []
    spans = _spans(text, pattern)
    fragments: list[str] = []
    floor = 0  # fragments never overlap
    i = 0
    while i < len(spans) and len(fragments) < max_fragments:
        s, e = spans[i]
        start = max(floor, s - max(0, size - (e - s)) // 2)
        end = max(e, min(len(text), start + size))
        start = max(floor, min(start, end - size))  # use the room left at the end
        out = ["…" if start > 0 else ""]
        pos, window_end = start, end
        while i < len(spans) and spans[i][0] < window_end:
            s, e = spans[i]
            end = max(end, e)  # never cut a match in two
            out += [html.escape(text[pos:s]), "<em>", html.escape(text[s:e]), "</em>"]
            pos = e
            i += 1
        out += [html.escape(text[pos:end]), "…" if end < len(text) else ""]
        fragments.append("".join(out))
        floor = end
    return fragments


def highlights_for(title: str, text: str, terms: list[str]) -> dict[str, list[str]]:
    """``Hit.highlights``: only the fields that have a match."""
    if not terms:
        return {}
    found = {"title": highlight(title, terms), "text": highlight(text, terms)}
    return {field: frags for field, frags in found.items() if frags}


def order_counts(counts: Mapping[str, int], by: str) -> dict[str, int]:
    """Days in calendar order; other buckets by count, largest first, then key."""
    if by == "day":
        return dict(sorted(counts.items()))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
