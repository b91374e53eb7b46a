"""Negativity in [0, 1] for a unit, with the reasons that drove it.

A document is scored on the sentences that mention the unit (plus the
title), not as a whole: a story negative about another company is not
negative for this one, and a long article does not saturate to 0 or 1.

Each sentence combines two signals:
* the insurance negative lexicon (phrases grouped by risk type, from
  rules.yaml), damped when a negation/counter cue (辟谣, 不实…) is present;
* snownlp's naive Bayes model fed jieba tokens. Its bundled model was trained
  on shopping reviews, so on its own it may not push a sentence past 0.5:
  without a lexicon hit nothing alerts.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from snownlp import sentiment as snow_sentiment

from sentiment.tokenize import Tokenizer, split_sentences

HIT_WEIGHT = 0.45  # each distinct lexicon phrase in a sentence
NEGATION_DAMPING = 0.3
TITLE_BOOST = 1.15


@dataclass
class SentenceScore:
    sentence: str
    score: float
    hits: list[tuple[str, str]] = field(default_factory=list)  # (phrase, risk type)


@dataclass
class Negativity:
    score: float
    sentences: list[SentenceScore]

    @property
    def reasons(self) -> list[SentenceScore]:
        return [s for s in self.sentences if s.hits]


class NegativityScorer:
    def __init__(self, tokenizer: Tokenizer, lexicon: Mapping[str, Sequence[str]],
                 negation_cues: Sequence[str] = ()) -> None:
        self._tok = tokenizer
        self._risk_of: dict[str, str] = {}
        for risk, phrases in lexicon.items():
            for p in phrases:
                self._risk_of.setdefault(p, risk)
        terms = sorted(self._risk_of, key=len, reverse=True)
        self._lexicon = re.compile("|".join(map(re.escape, terms))) if terms else None
        self._negations = [c for c in negation_cues if c]
        self._bayes = snow_sentiment.classifier.classifier

    def bayes_negativity(self, sentence: str) -> float:
        label, prob = self._bayes.classify(self._tok.words(sentence))
        return prob if label == "neg" else 1.0 - prob

    def sentence(self, sentence: str) -> SentenceScore:
        hits: list[tuple[str, str]] = []
        if self._lexicon is not None:
            for m in self._lexicon.finditer(sentence):
                hit = (m.group(0), self._risk_of[m.group(0)])
                if hit not in hits:
                    hits.append(hit)
        bayes = self.bayes_negativity(sentence)
        if not hits:
            return SentenceScore(sentence, 0.5 * bayes)
        lex = 1.0 - (1.0 - HIT_WEIGHT) ** len(hits)
        if any(cue in sentence for cue in self._negations):
            lex *= NEGATION_DAMPING
        return SentenceScore(sentence, min(1.0, 0.6 * lex + 0.4 * bayes + 0.2 * lex * bayes), hits)

    def score(self, title: str, text: str, mentions: Sequence[int] | None = None,
              include_title: bool = True) -> Negativity:
        """Score the title (if ``include_title``) and the sentences of ``text``
        containing a mention offset (offsets into ``title + "\\n" + text``);
        all sentences when ``mentions`` is None."""
        scored: list[SentenceScore] = []
        title_score = self.sentence(title) if title and include_title else None
        if title_score is not None:
            title_score.score = min(1.0, title_score.score * TITLE_BOOST)
            scored.append(title_score)
        offset = len(title) + 1
        for sent in split_sentences(text):
            start = text.find(sent, max(0, offset - len(title) - 1))
            begin, end = len(title) + 1 + start, len(title) + 1 + start + len(sent)
            offset = end
            if mentions is None or any(begin <= p < end for p in mentions):
                scored.append(self.sentence(sent))
        if not scored:
            return Negativity(0.0, [])
        top = sorted((s.score for s in scored), reverse=True)
        # The worst sentence dominates; a second bad one adds a little.
        score = top[0] + (0.15 * top[1] * (1 - top[0]) if len(top) > 1 else 0.0)
        return Negativity(round(min(1.0, score), 4), scored)
