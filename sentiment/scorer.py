"""Document → ScoredDocument: units, negativity per unit, relevance, level.

Pure computation over configuration data; no I/O (STYLE 14). The story id
set here is the document's own (from its title); the score role then asks
the shared story store (pipeline/stories.py) which story it joins.

Cost is kept where it matters: unit matching and schemes run Aho-Corasick on
the raw text; only documents that mention a unit are tokenised, and only
their title and the sentences around the unit's mentions.

Languages: Chinese documents (``Document.language`` zh…, or substantially
Han text; contracts/language.py) go through jieba, the Bayes model and the
Chinese lexicon. Every other document (overseas media) is matched by the
same unit aliases (English ones such as China Life or PICC as whole words)
and scored by sentiment/english.py: English sentences and clauses, the
English lexicon by the same risk types, no jieba and no model; the segments
are chosen and aggregated the same way.

The message is built by sentiment/scored.py (without validating again).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from contracts.language import chinese_label, substantially_han
from contracts.messages import Document, ScoredDocument, UnitMatch
from sentiment import english, irony
from sentiment.automaton import any_in
from sentiment.bayes import NaiveBayes
from sentiment.clauses import DEFAULT_CUES, ClauseCues, han_clauses, list_item, own_part, within
from sentiment.frames import FrameCues
from sentiment.incidents import KEEP_TAGS, LEAD_CHARS, NameParts, OwnNames, key_terms_of, tagged_terms
from sentiment.levels import LevelPolicy
from sentiment.matching import UnitMatcher, UnitSpec
from sentiment.negativity import Negativity, NegativityScorer, SegmentScore, aggregate
from sentiment.relevance import relevance
from sentiment.schemes import SchemeMatcher, SchemeSpec
from sentiment.scored import most_severe, rule_match, scored_document, unit_match, unit_reasons
from sentiment.spread import Spread, is_own_response
from sentiment.stories import story_id_for
from sentiment.tokenize import CutText, Tokenizer, WordTags, sentence_spans

CONTEXT_WEIGHT = 0.85  # a sentence near a mention, or the body under a title naming the unit


def lead_of(title: str, text: str) -> str:
    """The title and lead the key terms come from (cut once in :meth:`DocumentScorer.score`, or by
    :meth:`DocumentScorer.key_terms`: one string, so both give the same terms)."""
    return f"{title}\n{text[:LEAD_CHARS]}"


class DocumentScorer:
    def __init__(self, units: Sequence[UnitSpec], lexicon: Mapping[str, Sequence[str]],
                 negation_cues: Sequence[str], levels: LevelPolicy, tokenizer: Tokenizer | None = None, *,
                 schemes: Sequence[SchemeSpec] = (), model: NaiveBayes | None = None,
                 risk_weights: Mapping[str, float] | None = None,
                 source_weights: Mapping[str, float] | None = None,
                 region_words: Sequence[str] = ("吉林",),
                 english_lexicon: Mapping[str, Sequence[str]] | None = None,
                 english_cues: Sequence[str] | None = None, sarcasm: irony.Sarcasm | None = None,
                 routine_cues: Sequence[str] = (), hedge_cues: Sequence[str] = (),
                 advice_cues: Sequence[str] = (), own_response_words: Sequence[str] = (),
                 frame_cues: FrameCues | None = None, clause_cues: ClauseCues | None = None) -> None:
        aliases = [a for u in units for a in (u.name, *u.aliases)]
        self.tokenizer = tokenizer or Tokenizer(extra_words=aliases)
        self.region_words = tuple(r for r in region_words if r)
        self.schemes = SchemeMatcher(schemes)
        # One walk per document finds the aliases, the exclusions, the region and the scheme words.
        self.matcher = UnitMatcher(units, self.region_words, self.schemes.words)
        self._parts: dict[str, NameParts] = {}
        self._owns: dict[tuple[tuple[str, ...], tuple[str, ...]], OwnNames] = {}  # key terms' names left out
        self._word_tags: WordTags | None = None  # the key terms' tags of tokens cut already, at the first alert
        self._spreads: dict[tuple[str, int], Spread] = {}
        self.negativity = NegativityScorer(self.tokenizer, lexicon, negation_cues, model, risk_weights,
                                           routine_cues=routine_cues, hedge_cues=hedge_cues,
                                           advice_cues=advice_cues, frame_cues=frame_cues, sarcasm=sarcasm)
        # English lexicon and cues None: the built-in ones (sentiment/english.py).
        self.english = english.EnglishNegativity(english_lexicon, english_cues, risk_weights)
        self.levels, self.clause_cues = levels, clause_cues or DEFAULT_CUES  # clause_cues: 别家, switch verbs
        self.source_weights = dict(source_weights or {})
        self.own_response_words = tuple(own_response_words)
        self._chinese_labels: dict[str, bool] = {}

    def with_units(self, units: Sequence[UnitSpec], schemes: Sequence[SchemeSpec] = ()) -> DocumentScorer:
        """A scorer for other units that shares this one's tokenizer, model,
        lexicon and levels (evaluation on other entities, dry runs)."""
        # Built, not copied: a compiled (mypyc) class cannot be copied. The
        # empty lexicons are placeholders for the parts taken from this one.
        clone = DocumentScorer(units, {}, (), self.levels, self.tokenizer, schemes=schemes,
                               model=self.negativity.model, region_words=self.region_words,
                               english_lexicon={}, english_cues=(), clause_cues=self.clause_cues)
        clone.negativity, clone.english, clone._spreads = self.negativity, self.english, self._spreads
        clone.source_weights, clone.own_response_words = self.source_weights, self.own_response_words
        clone.region_words, clone._chinese_labels = self.region_words, self._chinese_labels
        return clone

    def _chinese_label(self, language: str) -> bool:
        """``chinese_label`` of a document's language label, once per label
        (contracts/language.py ``is_chinese`` is this or substantially Han text)."""
        known = self._chinese_labels.get(language)
        if known is None:
            if len(self._chinese_labels) >= 1_000:
                self._chinese_labels.clear()
            known = self._chinese_labels[language] = chinese_label(language)
        return known

    def source_weight(self, source_id: str) -> float:
        """The source's weight (sources.yaml); an unknown source's is 1.0, an ordinary one's."""
        return self.source_weights.get(source_id, 1.0)

    def score(self, doc: Document, now: datetime | None = None) -> ScoredDocument:
        # The document's fields read from its __dict__, where pydantic keeps them: an attribute of a pydantic model
        # is looked up through its __getattr__ hook (≈ 330 instructions a read, a dozen reads per document).
        fields = doc.__dict__
        title, text = fields["title"], fields["text"]
        full = f"{title}\n{text}"
        body_start = len(title) + 1
        lowered = full.lower()  # unit matching and schemes compare lower-cased
        # Each character lowered alone (no Σ, whose lower case depends on its neighbours; none lowered to two): a
        # part's lower case is that part of ``lowered``, sliced (the title's and the segments', for negativity).
        sliced = lowered if len(lowered) == len(full) and "Σ" not in full else ""
        walked = self.matcher.walk(full, lowered)
        matches = {m.unit_id: m for m in walked.matches}
        chinese = self._chinese_label(fields["language"]) or substantially_han(title, text)
        may_match = self.schemes.may_match(matches)
        if matches or may_match:
            spans = sentence_spans(full) if chinese else english.sentence_spans(full)
        else:  # no unit, and no scheme that could find one (most need the unit's names): no sentence is scored
            spans = []
        starts = [s for _, s in spans]
        hits = self.schemes.evaluate(full, starts, matches, lowered, walked.extra) if may_match else []
        mentions: dict[str, list[int]] = {}
        for uid, m in matches.items():
            if uid not in self.schemes.units_with_schemes:
                mentions[uid] = list(m.positions)
        for h in hits:  # a unit with schemes is in the document only if one matches
            alias_positions = matches[h.unit_id].positions if h.unit_id in matches else []
            found = mentions.setdefault(h.unit_id, [])
            found.extend(p for p in (h.positions or alias_positions) if p not in found)
        scheme_units = {h.unit_id for h in hits}
        title_end = len(title)
        in_title = {uid for uid, ps in mentions.items() if _any_before(ps, title_end)}
        region = walked.region  # a region word in the text
        source_id, engagement = fields["source_id"], fields["engagement"]
        weight = self.source_weight(source_id)
        carrier = self.levels.spread.authority_of(site=fields["site"], source_id=source_id,
                                                  source_name=fields["source_name"], author=fields["author"])
        spread = self._spread(carrier.name if carrier else "", Spread.interactions(engagement))
        cache: dict[tuple[str, float], SegmentScore] = {}
        level_reasons: dict[str, str] = {}
        own_units: list[str] = []
        # No reply word (回应, 声明…) in the title: no unit's own reply (spread.is_own_response), tested once.
        reply_word = any_in(self.own_response_words, title)
        # A how-to or advice title (雪天出险后如何报案理赔): every segment of the document is advice.
        advice_title = chinese and bool(mentions) and self.negativity.advice_title(
            title, sliced[:len(title)] if sliced else None)
        # A resolution, clarification or appointment title (sentiment/frames.py) frames every segment.
        frame = self.negativity.frame_title(title) if chinese and mentions else ""
        # A long text's title and lead cut once: the tokens of the segments found in them, and the key terms' words
        # (their tags told from the tokens, tokenize.WordTags). A short text (a headline, a post) is its own lead: its
        # segments are cut alone (they are most of it, and most short texts need no key terms: no level), and the
        # key terms' cut of it takes the segments' tokens (``pieces``) and cuts only the rest.
        lead: CutText | None = None
        pieces: dict[str, list[str]] = {}
        if chinese and mentions and len(text) > LEAD_CHARS:
            lead_text = lead_of(title, text)
            lead = CutText(lead_text, self.tokenizer.cut(lead_text))

        units, unit_negativity, unit_levels, unit_relevance, reasons = [], {}, {}, {}, []
        for uid, positions in mentions.items():
            um = matches.get(uid)
            spec = self.matcher.units.get(uid)
            name = spec.name if spec else uid
            units.append(unit_match(uid, name, list(um.aliases) if um else [], sorted(set(positions))[:20]))
            segments = self._segments(title, spans, body_start, positions, mentions, uid,
                                      title_counts=uid in in_title or not in_title, chinese=chinese,
                                      starts=starts)
            neg = self._score(segments, cache, self.negativity if chinese else self.english, advice_title, frame, lead,
                              pieces, sliced)
            rel = relevance(specific=bool(um and um.specific), in_title=uid in in_title, mentions=len(positions),
                            region_in_text=region, scheme_matched=uid in scheme_units, units_in_doc=len(mentions))
            unit_negativity[uid] = neg.score
            unit_relevance[uid] = rel
            risks = {risk for seg in neg.segments for _, risk in seg.hits if risk}
            own = bool(spec) and reply_word and is_own_response(title, (name, *(spec.aliases if spec else ())),
                                                                self.own_response_words)
            if own:
                own_units.append(uid)
            assessed = self.levels.assess(neg.score, rel, weight, engagement, risks, spread=spread, own_response=own)
            level = assessed.level
            level_reasons[uid] = assessed.reason
            if level is not None:
                unit_levels[uid] = level
            reasons.extend(unit_reasons(neg, uid))
        return scored_document(
            doc, units, [rule_match(h.scheme_id, h.unit_id, list(h.terms)) for h in hits],
            _highest(unit_negativity), unit_negativity, reasons,
            most_severe(unit_levels), unit_levels, level_reasons, spread.authority,
            own_units, self.key_terms(doc, units, lead, pieces) if unit_levels and chinese else [],
            story_id_for(title, fields["id"]), now or datetime.now(timezone.utc), unit_relevance)

    def _spread(self, authority: str, engagement: int) -> Spread:
        """One Spread per carrier class and engagement (most documents share
        one), so the levels score it once (LevelPolicy keeps the last)."""
        key = (authority, engagement)
        spread = self._spreads.get(key)
        if spread is None:
            if len(self._spreads) >= 10_000:
                self._spreads.clear()
            spread = self._spreads[key] = Spread(authority=authority, engagement=engagement)
        return spread

    def key_terms(self, doc: Document, units: list[UnitMatch], lead: CutText | None = None,
                  pieces: dict[str, list[str]] | None = None) -> list[str]:
        """The identifying terms of the title and lead (``lead``: cut already; else cut here, with ``pieces``: the
        tokens of some of its parts, tokenize.Tokenizer.cut_with), without the matched units' names (incidents.py)."""
        own = self._own_names(units)
        if lead is None:
            fields = doc.__dict__  # as in score()
            text = lead_of(fields["title"], fields["text"])
            lead = CutText(text, self.tokenizer.cut_with(text, pieces) if pieces else self.tokenizer.cut(text))
        tags = self._word_tags
        if tags is None:
            tags = self._word_tags = self.tokenizer.word_tags(KEEP_TAGS)
        terms = key_terms_of(lead.tokens, tags, own)
        if terms is None:  # a token whose tag only the text tells (tokenize.WordTags), remembered from it
            pairs = self.tokenizer.tags(lead.text)
            tags.learn(pairs)
            terms = tagged_terms(pairs, own)
        return terms

    def _own_names(self, units: list[UnitMatch]) -> OwnNames:
        """The matched units' names for the key terms, once per set of units: a unit's name, its aliases and their
        substrings (a unit the matcher does not know: its id, the name the message gives it)."""
        ids: list[str] = []
        names: list[str] = []
        for u in units:
            fields = u.__dict__  # a pydantic model's fields, read without its attribute hook
            ids.append(fields["unit_id"])
            names.append(fields["unit_name"])
            names.extend(fields["aliases"])
        key = (tuple(ids), tuple(names))
        own = self._owns.get(key)
        if own is None:
            if len(self._owns) >= 1_000:
                self._owns.clear()
            known = [parts for uid in ids if (parts := self._name_parts(uid)) is not None]
            own = self._owns[key] = OwnNames(names, known)
        return own

    def _name_parts(self, unit_id: str) -> NameParts | None:
        """The unit's names and their substrings, built at its first alert."""
        parts = self._parts.get(unit_id)
        if parts is None:
            spec = self.matcher.units.get(unit_id)
            if spec is None:
                return None
            parts = self._parts[unit_id] = NameParts.of((spec.name, *spec.aliases))
        return parts

    def _segments(self, title: str, spans: list[tuple[str, int]], body_start: int, positions: list[int],
                  mentions: dict[str, list[int]], uid: str, title_counts: bool,
                  chinese: bool = True, starts: list[int] | None = None) -> list[tuple[str, float, str, int]]:
        """The unit's segments: the title, each body sentence mentioning the
        unit, and the sentence after each (Chinese often drops the subject:
        公司以…为由拒赔) unless it names another unit or organisation.
        Title and sentences are narrowed to the clauses about the unit when
        they name others too (see :func:`focus`). A title naming no unit counts when the unit is
        named in the lead (first two sentences), not in passing further down.
        English documents use the English clauses and organisation names. Each segment comes with where it starts
        in the document (title and body joined by a line break) when it is a part of it as it stands, else -1."""
        starts = [s for _, s in spans] if starts is None else starts
        first_body = bisect_right(starts, body_start - 1)
        others: list[int] = []
        for u, ps in mentions.items():
            if u != uid:
                others.extend(ps)
        others.sort()
        positions = sorted(positions)
        own = {bisect_right(starts, p) - 1 for p in positions if p >= body_start}
        named_elsewhere = {bisect_right(starts, p) - 1 for p in others if p >= body_start}
        segments: list[tuple[str, float, str, int]] = []
        in_title = bool(positions) and positions[0] < body_start
        if title and (in_title or (title_counts and bool(own) and min(own) < first_body + 2)):
            # focus called directly: a function held in a variable is called through its Python wrapper
            text = title if not in_title else (focus(title, 0, positions, others, self.clause_cues) if chinese
                                              else english.focus(title, 0, positions, others))
            segments.append((text, 1.0, "title", 0 if text is title else -1))
        # Only the unit's sentences and the ones right after them can be
        # segments: visit those, in order, not every sentence of the text.
        for i in sorted(own.union([j + 1 for j in own])):
            if i < first_body or i >= len(spans):
                continue
            sentence, start = spans[i]
            if i in own:
                narrowed = (focus(sentence, start, positions, others, self.clause_cues) if chinese
                            else english.focus(sentence, start, positions, others))
                segments.append((narrowed, 1.0, "sentence", start if narrowed is sentence else -1))
            elif i - 1 in own and i not in named_elsewhere and not (
                    self.clause_cues.names_org(sentence) if chinese else english.NAMED_ORG.search(sentence)):
                segments.append((sentence, CONTEXT_WEIGHT, "context", start))
        return segments

    def _score(self, segments: list[tuple[str, float, str, int]], cache: dict[tuple[str, float], SegmentScore],
               scorer: Any, advice_title: bool = False, frame: str = "", lead: CutText | None = None,
               pieces: dict[str, list[str]] | None = None, sliced: str = "") -> Negativity:
        """``lead``: the text's title and lead cut (a long text), where segments found in it take their tokens;
        ``pieces``: each segment cut here, by its text (for the key terms of a short text: DocumentScorer.key_terms);
        ``sliced``: the document lowered where each part's lower case is its slice, else "" (DocumentScorer.score)."""
        # Units of one document share titles and sentences: score each once.
        scored = []
        for text, weight, kind, at in segments:
            key = (text, weight)
            found = cache.get(key)
            if found is None:  # advice_title: Chinese documents only (the English scorer has no such feature)
                if isinstance(scorer, NegativityScorer):  # narrowed: a native call, not a method found by name
                    tokens = lead.cut(text) if lead is not None else None
                    if tokens is None and pieces is not None:
                        tokens = pieces[text] = self.tokenizer.cut(text)  # what segment() would cut
                    lowered = sliced[at:at + len(text)] if sliced and at >= 0 else None
                    found = cache[key] = scorer.segment(text, weight, kind, advice_title, frame, tokens, lowered)
                else:
                    found = cache[key] = (scorer.segment(text, weight, kind, advice_title, frame)
                                          if advice_title or frame else scorer.segment(text, weight, kind))
            scored.append(found)
        return Negativity(aggregate([s.score for s in scored]), scored)


def _any_before(positions: list[int], end: int) -> bool:
    """``min(positions, default=end) < end`` (a builtin called with a keyword goes through Python's call protocol)."""
    for p in positions:  # noqa: SIM110 -- no generator (mypyc)
        if p < end:
            return True
    return False


def _highest(scores: dict[str, float]) -> float:
    """``max(scores.values(), default=0.0)``, the first of equal ones (as max keeps it)."""
    best = 0.0
    first = True
    for x in scores.values():
        if first or x > best:
            best, first = x, False
    return best


# Clauses: split at Chinese and ASCII punctuation, whitespace (headline
# clauses are often separated by a space) and |. Split by clauses.han_clauses (the same clauses, by table).
_CLAUSE = re.compile(r"[^，,；;：:！!？?\s|、]+[，,；;：:！!？?\s|、]*")
def focus(text: str, offset: int, positions: Sequence[int], others: Sequence[int], cues: ClauseCues = DEFAULT_CUES) -> str:
    """The clauses of ``text`` (which starts at ``offset`` in the document)
    about the unit mentioned at ``positions``: the clauses naming it, and the
    clauses before and after them up to one naming another unit or another
    organisation. The whole text when it names nobody else. Positions are sorted."""
    end = offset + len(text)
    switch = cues.switched_to(text, offset, positions)
    named = cues.org_starts(text)  # names_org(text), and of each clause (_joins) by its positions
    if switch < 0 and not named and not within(others, offset, end):
        return text
    clauses = han_clauses(text, offset)
    orgs = [offset + p for p in named]
    mine = [i for i, (c, at) in enumerate(clauses) if within(positions, at, at + len(c))]
    count = len(clauses)
    if count <= 1 or not mine:
        return text[switch:] if switch >= 0 and mine else text
    # A clause naming the unit and, at its end, another unit not joined to it by 和/与/比…
    # (its object: 平安车险拒赔后我换了人保财险): the unit's part ends where the other's
    # name begins, the other's part is its name, and the clauses after it are the other's.
    cut = {i: own_part(text, offset, clauses[i], positions, others) for i in mine
           if within(others, clauses[i][1], clauses[i][1] + len(clauses[i][0]))}
    if switch >= 0:  # the unit switched to (…今年换成了大地保险): its part starts at the verb, no walk back
        for i in mine:
            words, at = clauses[i]
            if at <= offset + switch < at + len(words):
                part = cut.get(i)
                cut[i] = (True, part[1], part[2]) if part is not None else (True, False, words[offset + switch - at:])
                break
    # clauses.grow with the test written out here (no closures to build per call).
    keep = set(mine)
    for i in mine:
        part = cut.get(i)
        for step in (1, -1):
            if part is not None and part[1 if step == 1 else 0]:
                continue  # the walk does not pass the other unit's name
            j = i + step
            # a list of names (人保财险、平安产险、太保产险投诉量居前三): back through the items before; from an item
            # forward through the items after and the last one, which holds the list's predicate
            if step == -1 or list_item(clauses[i], positions, others):
                while 0 <= j < count and j not in keep and list_item(clauses[j], positions, others):
                    keep.add(j)
                    j += step
                if step == 1 and j < count and j not in keep and within(others, clauses[j][1], clauses[j][1] + 1):
                    keep.add(j)
                    j += step
            while 0 <= j < count and j not in keep and _joins(clauses, others, orgs, j, step):
                keep.add(j)
                j += step
    return "".join([cut[i][2] if i in cut else clauses[i][0] for i in sorted(keep)]).strip()


def _joins(clauses: list[tuple[str, int]], others: Sequence[int], orgs: list[int], j: int, step: int) -> bool:
    """Whether clause ``j``, reached from its neighbour (``step`` 1: the one before), joins it: it names no other
    unit or organisation (``orgs``: clauses.org_starts), and, walking back, no space: a headline's clause before the
    unit's has its own subject (团伙伪造事故骗保 中华联合财险审核发现异常); one after it that names nobody shares the
    unit's (大地保险车险承保系统突发异常 多家4S店无法出单)."""
    c, at = clauses[j]
    if within(others, at, at + len(c)) or within(orgs, at, at + len(c)):
        return False
    return step == 1 or c[-1] not in " \u3000\t"
