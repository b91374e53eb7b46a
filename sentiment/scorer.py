"""Document → ScoredDocument: units, negativity per unit, level, story.

Pure computation over configuration data; no I/O (STYLE 14).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from pipeline.messages import Document, Level, Reason, ScoredDocument, UnitMatch
from sentiment.levels import LevelPolicy
from sentiment.matching import UnitMatcher, UnitSpec
from sentiment.negativity import NegativityScorer
from sentiment.stories import simhash, story_id_for
from sentiment.tokenize import Tokenizer

MAX_REASONS = 6


class DocumentScorer:
    def __init__(self, units: Sequence[UnitSpec], lexicon: dict[str, list[str]],
                 negation_cues: Sequence[str], levels: LevelPolicy,
                 tokenizer: Tokenizer | None = None) -> None:
        aliases = [a for u in units for a in (u.name, *u.aliases)]
        self.tokenizer = tokenizer or Tokenizer(extra_words=aliases)
        self._matcher = UnitMatcher(units)
        self._negativity = NegativityScorer(self.tokenizer, lexicon, negation_cues)
        self._levels = levels

    def score(self, doc: Document, now: datetime | None = None) -> ScoredDocument:
        full = f"{doc.title}\n{doc.text}"
        matches = self._matcher.find(full)
        unit_negativity: dict[str, float] = {}
        unit_levels: dict[str, Level] = {}
        reasons: list[Reason] = []
        in_title = {m.unit_id for m in matches if any(p < len(doc.title) for p in m.positions)}
        for match in matches:
            # A headline about another unit says nothing about this one; a
            # headline naming no unit may be about any unit in the body.
            title_counts = match.unit_id in in_title or not in_title
            neg = self._negativity.score(doc.title, doc.text, mentions=match.positions, include_title=title_counts)
            unit_negativity[match.unit_id] = neg.score
            level = self._levels.level_for(neg.score)
            if level is not None:
                unit_levels[match.unit_id] = level
            for s in sorted(neg.reasons, key=lambda s: -s.score):
                for phrase, risk in s.hits:
                    if len(reasons) < MAX_REASONS and not any(r.phrase == phrase for r in reasons):
                        reasons.append(Reason(phrase=phrase, sentence=s.sentence[:200],
                                              risk_type=risk, weight=round(s.score, 4), unit_id=match.unit_id))
        negativity = max(unit_negativity.values(), default=0.0)
        level = min(unit_levels.values(), key=lambda lv: lv.rank, default=None)
        return ScoredDocument.from_document(
            doc,
            units=[UnitMatch(unit_id=m.unit_id, unit_name=m.unit_name, aliases=m.aliases,
                             positions=m.positions[:20]) for m in matches],
            negativity=negativity,
            unit_negativity=unit_negativity,
            unit_levels=unit_levels,
            level=level,
            reasons=reasons,
            story_id=story_id_for(doc.title, doc.id),
            simhash=simhash(self.tokenizer.words(doc.title + doc.text[:2000])),
            scored_at=now or datetime.now(timezone.utc),
        )
