"""Negativity of English segments (overseas media), without jieba or the Bayes model.

The Chinese path (negativity.py) adds a naive Bayes model trained on
Chinese finance news to the lexicon; nothing like it exists for English
here, so an English segment is scored on its lexicon alone, with the same
constants, so the same evidence gives the same score in either language:

    z = BASE + lexicon                (LEX_FIRST for the strongest phrase,
    p = sigmoid(z) * segment weight    LEX_MORE for each further one, times
                                       the risk type's weight)

* The lexicon is rules.yaml ``negative_lexicon_en`` — phrases grouped by the
  same risk types as the Chinese one, so ``risk_weights`` and every report
  by risk type apply to both — or the built-in lists in english_lexicon.py.
* Matching is on words, case-insensitive, whole words only (fined is not
  refined); hyphens and spaces are the same (mis-selling = mis selling);
  a possessive 's is dropped; a word ending in ``*`` matches any word it
  begins (penalt* = penalty, penalties). The longest phrase wins.
* Negation: a phrase with a negator among the ``NEGATOR_WINDOW`` words
  before it in the same clause does not count (was not fined, denies it was
  fined, no evidence of fraud, cleared of mis-selling). Clauses end at
  punctuation and at but / however / although / while. A phrase that
  itself starts with a negator (denied claims) counts, unless what follows
  is a refutation (denied claims that it mis-sold…).
* Counter cues (``negation_cues_en``, default :data:`DEFAULT_COUNTER_CUES_EN`:
  refutations, resolutions, awareness campaigns, praise) damp the lexicon
  as in Chinese, unless negated (not resolved) or inside a lexicon phrase.

Sentences are split by :func:`sentence_spans` (full stops, not after an
abbreviation such as Co. or U.S., nor before a lower-case word), and
:func:`focus` narrows a sentence naming several companies to the clauses
about one, like the Chinese ``focus`` in scorer.py.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sentiment.bayes import sigmoid
from sentiment.clauses import grow, within
from sentiment.english_lexicon import DEFAULT_COUNTER_CUES_EN, DEFAULT_LEXICON_EN
from sentiment.negativity import SegmentScore

# The English path has no model: a hand-set logistic over the lexicon. One
# clear phrase scores about what the Chinese fitted combination gives one
# (≈ 0.92, orange; sentiment/combine.py), so levels mean the same in both.
BASE = -1.0
LEX_FIRST = 3.4
LEX_MORE = 1.0
CUE_DAMPING = 0.2

NEGATORS = frozenset({
    "not", "no", "never", "neither", "nor", "without", "none", "nothing", "nobody", "cannot", "false",
    "deny", "denies", "denied", "denying", "denial", "reject", "rejects", "rejected", "rejecting",
    "refute", "refutes", "refuted", "dismiss", "dismisses", "dismissed", "cleared", "acquitted",
})
NEGATOR_WINDOW = 5  # words before a phrase searched for a negator, within its clause
CUE_NEGATOR_WINDOW = 2  # not resolved, has not been clarified
_CLAUSE_WORDS = frozenset({"but", "however", "although", "though", "while", "whereas", "meanwhile"})
_REFUTED = frozenset({"that", "of"})  # denied claims that…, rejected claims of…
_RELATIVE_VERBS = frozenset({"were", "was", "are", "is", "had", "have", "has", "would", "could"})

# Words with apostrophes kept (wasn't); hyphens split (mis-selling).
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PHRASE_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*\*?")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]!?—–]")


def _norm(word: str) -> str:
    word = word.lower().replace("’", "'")
    return word[:-2] if word.endswith("'s") else word


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A lexicon phrase as the words it matches (a trailing ``*``: a prefix)."""
    return tuple(_norm(w) if not w.endswith("*") else _norm(w[:-1]) + "*"
                 for w in _PHRASE_WORD.findall(phrase.lower().replace("’", "'")))


def _negator(word: str) -> bool:
    return word in NEGATORS or word.endswith("n't")


def _refutation(w: _Words, i: int, n: int) -> bool:
    """A phrase starting with a negator and followed, in its clause, by
    "that <subject>" or "of": denied claims that it…, rejected claims of fraud
    (not "denied claims that were filed late")."""
    k = i + n
    if not _negator(w.words[i]) or k >= len(w.words) or w.clause[k] != w.clause[i] or w.words[k] not in _REFUTED:
        return False
    return w.words[k] == "of" or k + 1 >= len(w.words) or w.words[k + 1] not in _RELATIVE_VERBS


class _Words:
    """A segment's words: normalised forms, character spans, clause numbers."""

    __slots__ = ("words", "spans", "clause")

    def __init__(self, text: str) -> None:
        self.words: list[str] = []
        self.spans: list[tuple[int, int]] = []
        self.clause: list[int] = []
        clause, last = 0, 0
        for m in _TOKEN.finditer(text):
            word = _norm(m.group(0))
            if _CLAUSE_BREAK.search(text, last, m.start()) or word in _CLAUSE_WORDS:
                clause += 1
            self.words.append(word)
            self.spans.append(m.span())
            self.clause.append(clause)
            last = m.end()


class _PhraseSet:
    """Phrases bucketed by the first three letters of their first word."""

    def __init__(self, entries: Sequence[tuple[str, object]]) -> None:
        self.buckets: dict[str, list[tuple[tuple[str, ...], object]]] = {}
        seen: set[tuple[str, ...]] = set()
        for phrase, value in entries:
            words = phrase_words(phrase)
            if not words or words in seen:
                continue  # the first value given for a phrase wins
            seen.add(words)
            self.buckets.setdefault(words[0].rstrip("*")[:3], []).append((words, value))
        for bucket in self.buckets.values():
            bucket.sort(key=lambda e: -len(e[0]))  # longest first

    def __bool__(self) -> bool:
        return bool(self.buckets)

    def at(self, words: list[str], i: int) -> tuple[int, Any] | None:
        """The longest phrase starting at word ``i``: (its length, its value)."""
        for phrase, value in self.buckets.get(words[i][:3], ()):
            n = len(phrase)
            if i + n > len(words):
                continue
            if all(words[i + k] == p or (p[-1] == "*" and words[i + k].startswith(p[:-1]))
                   for k, p in enumerate(phrase)):
                return n, value
        return None


class EnglishNegativity:
    """Score English segments; the counterpart of ``NegativityScorer.segment``."""

    def __init__(self, lexicon: Mapping[str, Sequence[str]] | None = None,
                 counter_cues: Sequence[str] | None = None,
                 risk_weights: Mapping[str, float] | None = None) -> None:
        lexicon = DEFAULT_LEXICON_EN if lexicon is None else lexicon
        cues = DEFAULT_COUNTER_CUES_EN if counter_cues is None else counter_cues
        weights = dict(risk_weights or {})
        self._lexicon = _PhraseSet([(p, (risk, weights.get(risk, 1.0))) for risk, ps in lexicon.items() for p in ps])
        self._cues = _PhraseSet([(c, c) for c in cues if c.strip()])

    def lexicon_hits(self, text: str, words: _Words | None = None) -> list[tuple[str, str, float, int, int]]:
        """Distinct ``(phrase as written, risk type, weight, first word, end word)``
        in ``text``, longest match at each position, negated ones skipped."""
        w = words or _Words(text)
        hits: list[tuple[str, str, float, int, int]] = []
        refutations: list[int] = []  # hits that open a refutation (denied claims that…)
        negated_after: list[int] = []  # clauses in which a negated phrase occurred
        covered: set[int] = set()  # words of phrases found: their negators (denied claims) negate nothing
        i = 0
        while i < len(w.words) and self._lexicon:
            found = self._lexicon.at(w.words, i)
            if found is None:
                i += 1
                continue
            n, (risk, weight) = found
            if self._negated(w, i, covered):
                negated_after.append(w.clause[i])
            else:
                phrase = text[w.spans[i][0]:w.spans[i + n - 1][1]]
                refutes = _refutation(w, i, n)  # if so, its negator still negates what follows
                if not refutes:
                    covered.update(range(i, i + n))
                if not any(h[0].lower() == phrase.lower() for h in hits):
                    if refutes:
                        refutations.append(len(hits))
                    hits.append((phrase, risk, weight, i, i + n))
            i += n
        # "X denied claims that it mis-sold…", "rejected claims of fraud": the
        # phrase opens a refutation, not a refused claim.
        drop = {k for k in refutations
                if w.words[hits[k][4]] == "that" or w.clause[hits[k][3]] in negated_after}
        return [h for k, h in enumerate(hits) if k not in drop]

    @staticmethod
    def _negated(w: _Words, i: int, covered: set[int]) -> bool:
        for j in range(i - 1, max(-1, i - 1 - NEGATOR_WINDOW), -1):
            if w.clause[j] != w.clause[i]:
                return False
            if j not in covered and _negator(w.words[j]) and not (w.words[j] == "not" and w.words[j + 1] == "only"):
                return True
        return False

    def countered(self, text: str, hits: Sequence[tuple] = (), words: _Words | None = None) -> bool:
        """A counter cue occurs that is neither negated (not resolved) nor
        inside a lexicon phrase (thanks for nothing is no thanks)."""
        if not self._cues:
            return False
        w = words or _Words(text)
        i = 0
        while i < len(w.words):
            found = self._cues.at(w.words, i)
            if found is None:
                i += 1
                continue
            n = found[0]
            negated = any(_negator(w.words[j]) and w.clause[j] == w.clause[i]
                          for j in range(max(0, i - CUE_NEGATOR_WINDOW), i))
            inside = any(h[3] <= i and i + n <= h[4] for h in hits)
            if not negated and not inside:
                return True
            i += n
        return False

    def segment(self, text: str, weight: float = 1.0, kind: str = "sentence") -> SegmentScore:
        w = _Words(text)
        hits = self.lexicon_hits(text, w)
        strengths = sorted((h[2] for h in hits), reverse=True)
        lex = (LEX_FIRST * strengths[0] + LEX_MORE * sum(strengths[1:])) if strengths else 0.0
        countered = self.countered(text, hits, w)
        if countered:
            lex *= CUE_DAMPING
        score = sigmoid(BASE + lex) * weight
        return SegmentScore(text, round(score, 4), [(h[0], h[1]) for h in hits], [], countered, kind)


# ------------------------------------------------------------------ sentences

_BREAK = re.compile(r"[.!?;…。！？；]+[\"'”’)\]]*(?=\s|$)|\n")
_LAST_WORD = re.compile(r"[\w.]+$")
_NEXT_CHAR = re.compile(r"\s*(\S)")
ABBREVIATIONS = frozenset({
    "co", "corp", "inc", "ltd", "plc", "llc", "bhd", "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vs",
    "etc", "e.g", "i.e", "u.s", "u.k", "u.n", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "gov", "dept", "approx", "est",
})


def _ends_sentence(text: str, m: re.Match) -> bool:
    if m.group(0) == "\n" or m.group(0)[0] != ".":
        return True
    before = _LAST_WORD.search(text, max(0, m.start() - 24), m.start())
    word = before.group(0).lower() if before else ""
    nxt = _NEXT_CHAR.match(text, m.end(), m.end() + 40)
    following = nxt.group(1) if nxt else ""
    if word in ("no", "nos"):
        return not following.isdigit()  # No. 3, but "said no."
    if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or ("." in word and len(word) <= 5):
        return False  # Co. Ltd., U.S., J. Smith
    return not following.islower()  # "approx. five" reads on


def sentence_spans(text: str) -> list[tuple[str, int]]:
    """English sentences of ``text`` (stripped) with their start offsets;
    lines (a title) are sentences too."""
    out: list[tuple[str, int]] = []
    start = 0
    for m in _BREAK.finditer(text):
        if _ends_sentence(text, m):
            _add(out, text, start, m.end())
            start = m.end()
    _add(out, text, start, len(text))
    return out


def _add(out: list[tuple[str, int]], text: str, start: int, end: int) -> None:
    raw = text[start:end]
    s = raw.strip()
    if s:
        out.append((s, start + len(raw) - len(raw.lstrip())))


# ------------------------------------------------------------------ clauses

# An organisation that is not a member unit: capitalised words ending in a
# company word (Sunshine Insurance, Minsheng Bank, Anbang Group). "The Group"
# refers back and does not count.
NAMED_ORG = re.compile(
    r"\b(?!(?:The|This|That|Its|Their|Our|A|An)\b)[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*){0,3}\s+"
    r"(?:Insurance|Assurance|Life|Bank|Securities|Holdings|Group|Trust|Fund|Funds|Corp|Corporation|"
    r"Inc|Ltd|Limited|Co|Company|Plc)\b"
    # a regulator or an association is no company: China Insurance Regulatory Commission
    r"(?!\s+(?:Regulatory|Association|Industry|Supervision|Supervisory|Commission|Bureau|Administration|Authority))")
_CLAUSE = re.compile(r"[^,;:()]+(?:[,;:()]+|$)")
_CONJUNCTION = re.compile(r"\s(?=(?:but|however|although|though|while|whereas|meanwhile)\b)", re.IGNORECASE)


def focus(text: str, offset: int, positions: Sequence[int], others: Sequence[int]) -> str:
    """The clauses of ``text`` (at ``offset`` in the document) about the unit
    at ``positions``: those naming it and their neighbours up to one naming
    another unit or organisation; the whole text when it names nobody else."""
    end = offset + len(text)
    if not within(others, offset, end) and not NAMED_ORG.search(text):
        return text
    clauses: list[tuple[str, int]] = []
    for m in _CLAUSE.finditer(text):
        if not m.group(0):
            continue
        at = m.start()
        for part in _CONJUNCTION.split(m.group(0)):
            if part.strip():
                clauses.append((part, offset + at))
            at += len(part) + 1
    mine = [i for i, (c, at) in enumerate(clauses) if within(positions, at, at + len(c))]
    if len(clauses) <= 1 or not mine:
        return text

    def free(i: int) -> bool:
        c, at = clauses[i]
        return not within(others, at, at + len(c)) and not NAMED_ORG.search(c)

    return " ".join(clauses[i][0].strip() for i in grow(len(clauses), mine, lambda j, step: free(j))).strip()
