"""The scorer's results as contract messages: the ScoredDocument, its units,
rules and reasons (contracts/messages.py), built from what sentiment/scorer.py
found without validating again what is valid already (validation was a fixed
cost per document), and the reasons a unit's negativity gives a reader.

Pure computation; no I/O (STYLE 14).
"""
from __future__ import annotations

from datetime import datetime
from typing import Final

from contracts.messages import MODEL_EVIDENCE, Document, Level, Reason, RuleMatch, ScoredDocument, UnitMatch
from sentiment.matching import ascii_word_char
from sentiment.negativity import Negativity, round4

MAX_REASONS_PER_UNIT = 4
MODEL_SENTENCE_CHARS = 80  # a sentence the model found negative, as quoted in a reason
QUOTE_CHARS = 200  # a lexicon phrase's sentence, as quoted in a reason: longer ones by a window around the phrase
QUOTE_CLAUSE_LOOK = 12  # a cut window starts at a clause this near its cut (a reader starts on a clause, not mid-way)
_CLAUSE_ENDS: Final = frozenset("，。！？；：、,.!?;:")
_LEADING_MARKS: Final = frozenset("，。！？；：、,.!?;:”’）)】》」』 \t\n\u3000")


def scored_document(doc: Document, units: list[UnitMatch], rules: list[RuleMatch], negativity: float,
                    unit_negativity: dict[str, float], reasons: list[Reason], level: Level | None,
                    unit_levels: dict[str, Level], unit_level_reasons: dict[str, str], authority: str,
                    own_response_units: list[str], key_terms: list[str], story_id: str, scored_at: datetime,
                    unit_relevance: dict[str, float]) -> ScoredDocument:
    """``ScoredDocument.from_document`` without validating again what is valid already: the document's
    fields as validated when it was decoded, and the scorer's own, built from the message types (dumping
    and re-validating the whole document was a fixed cost per document). A document carrying unknown
    fields (or of another type) takes the validating way, which also decides where they go. The message's
    ``__dict__`` is one dict display in declaration order (a fifth of :func:`_construct`'s cost) while
    the field lists are the ones spelled here; else :func:`_construct` builds it."""
    fields = doc.__dict__
    if type(doc) is not Document or doc.__pydantic_extra__ or not _DISPLAY_FITS or len(fields) != _DOC_FIELDS:
        given = {"units": units, "rules": rules, "negativity": negativity, "unit_negativity": unit_negativity,
                 "unit_relevance": unit_relevance, "unit_levels": unit_levels,
                 "unit_level_reasons": unit_level_reasons, "key_terms": key_terms, "authority": authority,
                 "own_response_units": own_response_units, "level": level, "reasons": reasons,
                 "story_id": story_id, "scored_at": scored_at}
        if type(doc) is not Document or doc.__pydantic_extra__:
            return ScoredDocument.from_document(doc, **given)
        data = dict(fields)  # the fields' values, as getattr reads them (no extra: checked above)
        data["engagement"] = dict(doc.engagement)
        data.update(given)
        return _construct(data)
    values = {
        "schema_version": fields["schema_version"], "id": fields["id"], "url": fields["url"],
        "source_id": fields["source_id"], "channel": fields["channel"], "site": fields["site"],
        "title": fields["title"], "text": fields["text"], "author": fields["author"],
        "published_at": fields["published_at"], "crawled_at": fields["crawled_at"],
        "engagement": dict(fields["engagement"]), "language": fields["language"],
        "source_name": fields["source_name"],
        "units": units, "rules": rules, "negativity": negativity, "unit_negativity": unit_negativity,
        "reasons": reasons, "level": level, "unit_levels": unit_levels, "unit_level_reasons": unit_level_reasons,
        "authority": authority, "own_response_units": own_response_units, "key_terms": key_terms,
        "story_id": story_id, "simhash": None, "scored_at": scored_at, "unit_relevance": unit_relevance,
        "story": None,
    }
    return _bare(values, set(_FIELDS_SET))


_SCORED = ScoredDocument.__pydantic_fields__
_LEVELS: Final = tuple(Level)  # most severe first
_SCORED_FIELDS = frozenset(_SCORED)
_DOC_FIELDS: Final = len(Document.__pydantic_fields__)
# The fields scored_document's dict display spells, in declaration order, and the ones
# it sets (all but simhash and story, None until the story store fills them).
_DISPLAY: Final = (
    "schema_version", "id", "url", "source_id", "channel", "site", "title", "text", "author", "published_at",
    "crawled_at", "engagement", "language", "source_name", "units", "rules", "negativity", "unit_negativity",
    "reasons", "level", "unit_levels", "unit_level_reasons", "authority", "own_response_units", "key_terms",
    "story_id", "simhash", "scored_at", "unit_relevance", "story")
_DISPLAY_FITS: Final = tuple(_SCORED) == _DISPLAY and tuple(Document.__pydantic_fields__) == _DISPLAY[:_DOC_FIELDS]
_FIELDS_SET: Final = frozenset(_DISPLAY) - {"simhash", "story"}
# The fields whose value when not given is not None: required ones, or another default.
_NOT_NONE_DEFAULT = tuple(n for n, f in _SCORED.items() if f.default is not None or f.default_factory is not None)


def _construct(data: dict) -> ScoredDocument:
    """What ``ScoredDocument.model_construct(**data)`` returns, for data
    keyed by field names (no aliases), without its per-field alias checks
    (a tenth of a headline's scoring): the fields in declaration order,
    the ones not given at their defaults, those given as the fields set."""
    if not data.keys() <= _SCORED_FIELDS:  # not a field: model_construct decides where it goes
        return ScoredDocument.model_construct(**data)
    values = dict.fromkeys(_SCORED)  # declaration order; update keeps it
    values.update(data)
    for name in _NOT_NONE_DEFAULT:
        if name in data:
            continue
        field_info = _SCORED[name]
        if field_info.is_required():
            del values[name]
        else:
            values[name] = field_info.get_default(call_default_factory=True, validated_data=values)
    return _bare(values, set(data))


def _bare(values: dict, fields_set: set[str]) -> ScoredDocument:
    """A ScoredDocument over ``values`` as pydantic's ``model_construct`` builds one (no validation).

    ``object.__new__(X)``, here and below, is ``X.__new__(X)`` (pydantic's models keep object's ``__new__``; a
    test checks) without looking ``__new__`` up on the class, which pydantic's metaclass makes slow (its
    ``__getattr__``: ≈ 1.6 k instructions a look-up)."""
    scored = object.__new__(ScoredDocument)
    object.__setattr__(scored, "__dict__", values)
    object.__setattr__(scored, "__pydantic_fields_set__", fields_set)
    object.__setattr__(scored, "__pydantic_extra__", {})
    object.__setattr__(scored, "__pydantic_private__", None)
    return scored


def unit_reasons(neg: Negativity, unit_id: str) -> list[Reason]:
    """The lexicon phrases with their sentences, worst segment first; a
    segment the model alone found negative is given as the sentence itself
    (trimmed) with MODEL_EVIDENCE as its phrase: the model's strongest words
    (官方、程序、在线) are no reason a reader can check."""
    out: list[Reason] = []
    given: list[tuple[str, str]] = []  # (phrase, sentence) of each reason in out, not read back from them
    for seg in neg.reasons:
        if seg.hits:
            pairs: list[tuple[str, str | None, str]] = _quoted_hits(seg.text, seg.hits)
        else:
            pairs = [(MODEL_EVIDENCE, None, trim_sentence(seg.text))]
        for phrase, risk, sentence in pairs:
            if len(out) >= MAX_REASONS_PER_UNIT:
                return out
            if not _given(given, phrase, sentence):
                given.append((phrase, sentence))
                out.append(_reason(phrase, sentence, risk, round4(seg.score), unit_id))
    return out


def _quoted_hits(text: str, hits: list[tuple[str, str]]) -> list[tuple[str, str | None, str]]:
    """Each hit ``(phrase, risk type)`` with its sentence as quoted: the sentence itself when it is
    at most QUOTE_CHARS long; else one window around all the phrases when they fit in one (the
    sentence is still shown once with its terms marked), else a window around each phrase."""
    if len(text) <= QUOTE_CHARS:
        return [(p, risk, text) for p, risk in hits]
    spans: list[tuple[int, int]] = []
    lo = len(text)
    hi = 0
    for p, _risk in hits:
        start = text.find(p)
        if start < 0:
            start = text.lower().find(p.lower())  # a phrase matched on the lowered text
        span = (start, start + len(p)) if start >= 0 else (0, 0)
        spans.append(span)
        lo = min(lo, span[0])
        hi = max(hi, span[1])
    if hi - lo <= QUOTE_CHARS:
        one = quote_window(text, lo, hi)
        return [(p, risk, one) for p, risk in hits]
    return [(hits[k][0], hits[k][1], quote_window(text, spans[k][0], spans[k][1])) for k in range(len(hits))]


def quote_window(text: str, start: int, end: int, limit: int = QUOTE_CHARS) -> str:
    """About ``limit`` characters of ``text`` around ``text[start:end]`` (a phrase), with "…" where
    the text is cut; Latin words are not cut (the window shrinks to a word's boundary). The text
    itself when it is at most ``limit`` long. Costs the window and a word, not the text."""
    n = len(text)
    if n <= limit:
        return text
    end = min(end, start + limit)
    room = limit - (end - start)
    lo = max(0, start - room // 2)
    hi = min(n, lo + limit)
    lo = max(0, hi - limit)
    if lo > 0 and ascii_word_char(text[lo - 1]) and ascii_word_char(text[lo]):
        while lo < start and ascii_word_char(text[lo]):
            lo += 1
    if lo > 0:
        lo = _clause_start(text, lo, start)
    if hi < n and ascii_word_char(text[hi - 1]) and ascii_word_char(text[hi]):
        while hi > end and ascii_word_char(text[hi - 1]):
            hi -= 1
    return ("…" if lo > 0 else "") + text[lo:hi].strip() + ("…" if hi < n else "")


def _clause_start(text: str, lo: int, start: int) -> int:
    """Where a window cut at ``lo`` starts for a reader: after a clause's end within
    QUOTE_CLAUSE_LOOK characters (not past ``start``, the phrase), then past any punctuation or
    space, so a quote never opens on "，" or "。" (nor mid-clause when a clause starts near)."""
    if text[lo - 1] not in _CLAUSE_ENDS:
        for k in range(lo, min(start, lo + QUOTE_CLAUSE_LOOK)):
            if text[k] in _CLAUSE_ENDS and not (text[k] in ".," and text[k + 1].isdigit()):  # not 3.5 nor 1,000
                lo = k + 1
                break
    while lo < start and text[lo] in _LEADING_MARKS:
        lo += 1
    return lo


def _given(given: list[tuple[str, str]], phrase: str, sentence: str) -> bool:
    """Whether a reason with this phrase is given already (for the model's
    evidence: with this sentence too)."""
    for p, s in given:  # noqa: SIM110 -- any() over a generator is the cost avoided here
        if p == phrase and (s == sentence or phrase != MODEL_EVIDENCE):
            return True
    return False


def trim_sentence(text: str, limit: int = MODEL_SENTENCE_CHARS) -> str:
    """A sentence as quoted to a reader: stripped, cut at ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def most_severe(levels: dict[str, Level]) -> Level | None:
    """``min(levels.values(), key=rank)``: the first level, in Level's order
    (most severe first), that one of the units has; None for none."""
    if not levels:
        return None
    found = list(levels.values())
    for level in _LEVELS:
        if level in found:
            return level
    return None



def unit_match(unit_id: str, unit_name: str, aliases: list[str], positions: list[int]) -> UnitMatch:
    """``UnitMatch(unit_id=…, …)`` without validating what the scorer built
    from its own types (new lists of str and int)."""
    match = object.__new__(UnitMatch)
    object.__setattr__(match, "__dict__", {"unit_id": unit_id, "unit_name": unit_name, "aliases": aliases,
                                           "positions": positions})
    object.__setattr__(match, "__pydantic_fields_set__", set(_UNIT_MATCH_FIELDS))
    object.__setattr__(match, "__pydantic_extra__", {})
    object.__setattr__(match, "__pydantic_private__", None)
    return match


def rule_match(rule_id: str, unit_id: str, terms: list[str]) -> RuleMatch:
    """``RuleMatch(rule_id=…, unit_id=…, terms=…)`` without validating what
    the scheme matcher built (str ids, a new list of str)."""
    match = object.__new__(RuleMatch)
    object.__setattr__(match, "__dict__", {"rule_id": rule_id, "unit_id": unit_id, "terms": terms})
    object.__setattr__(match, "__pydantic_fields_set__", set(_RULE_MATCH_FIELDS))
    object.__setattr__(match, "__pydantic_extra__", {})
    object.__setattr__(match, "__pydantic_private__", None)
    return match


def _reason(phrase: str, sentence: str, risk_type: str | None, weight: float, unit_id: str) -> Reason:
    """``Reason(phrase=…, …, unit_id=…)`` (unit_id an extra field) without
    validating: str values, and the weight a float as validation makes it."""
    reason = object.__new__(Reason)
    object.__setattr__(reason, "__dict__", {"phrase": phrase, "sentence": sentence, "risk_type": risk_type,
                                            "weight": float(weight)})
    object.__setattr__(reason, "__pydantic_fields_set__", set(_REASON_FIELDS_SET))
    object.__setattr__(reason, "__pydantic_extra__", {"unit_id": unit_id})
    object.__setattr__(reason, "__pydantic_private__", None)
    return reason


# Frozen sets: a set copied from one takes its hashes as they are.
_UNIT_MATCH_FIELDS: Final = frozenset(("unit_id", "unit_name", "aliases", "positions"))
_RULE_MATCH_FIELDS: Final = frozenset(("rule_id", "unit_id", "terms"))
_REASON_FIELDS_SET: Final = frozenset(("phrase", "sentence", "risk_type", "weight", "unit_id"))
