"""Negativity in [0, 1] for a unit, with the reasons that drove it.

A document is scored on segments — the title and the sentences that mention
the unit (see scorer.py) — not as a whole: a story negative about another
company is not negative for this one, and a long article does not saturate
to 0 or 1 because each segment is scored on its own and then aggregated.

Each segment's score is the calibrated combination of sentiment/combine.py
(a logistic regression fitted on the shared development data) over:

* naive Bayes (sentiment/bayes.py, trained on finance news and posts):
  general negativity; on a context sentence (one that does not name the
  unit) or next to a counter cue it can only lower the score;
* the negative lexicon (rules.yaml, phrases grouped by risk type, consumer
  complaints and business / governance news): the strongest phrase's risk
  weight and the sum of the others'; a phrase right after a negator
  (未发现违规, 不存在销售误导) does not count;
* a counter cue in the segment (辟谣, 不实, 防范, 提醒…: refutations and
  awareness campaigns), a market-context cue (增持, 质押, 大盘: not negative
  by itself; a share sale or a fall is a lexicon phrase of 股东减持 /
  市场波动, whose no-alert rule is in rules.yaml), a hedge (拟, 或将, 传闻) and an advice /
  how-to cue (提示, 如何, 指南, 办理流程) in the segment or the title;
* whether the segment is a title;

times the segment's weight (1.0, or less for a context sentence).

The document's score for the unit is the worst segment plus a little for the
second worst. Reasons are the phrases (with risk type) and the segments that
carried them; a segment the model alone found negative gives its strongest
words as the phrase, with no risk type.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sentiment import combine, frames, irony
from sentiment.automaton import SharedWalk, leftmost_longest, occurs_from, starts_table, unique_words
from sentiment.bayes import NaiveBayes
from sentiment.gapped import GAP, gapped_heads
from sentiment.tokenize import Tokenizer, split_sentences

SECOND_WORST = 0.15
# 反 right before a phrase: a 反X compound is not X (反欺诈中心, 反诈骗宣传). Prevention
# is no occurrence either (如何避免理赔纠纷, 谨防销售误导).
NEGATORS = ("未发现", "未", "没有", "不存在", "并非", "并无", "否认", "无", "反", "避免", "防止", "谨防", "杜绝", "远离")
NEGATOR_WINDOW = 4  # characters before a phrase searched for a negator
# A rebuttal negates a phrase further back within its clause (并不是我要跑路,
# 不存在任何销售误导, 否认存在违规); a plain 不是 / 没有 does not (这已经不是
# 第一次被罚款, 没有任何解释就拒赔), nor does 并未 / 从未 (并未说明理由就拒赔).
REBUTTALS = ("并不是", "并非", "绝非", "绝不是", "否认", "不存在")
_REBUTTAL = re.compile(f"(?:{'|'.join(REBUTTALS)})" r"[^，。、；：！？,.;:!?\s]{0,6}$")
REBUTTAL_WINDOW = 9  # characters before a phrase searched for a rebuttal (NEGATOR_WINDOW's too: it is longer)
CUE_NEGATORS = "不未没"  # 不满意, 未澄清: the cue is negated
# A phrase is negated when the window before it ends with a negator, or
# contains one of two or more characters (which then also ends it): one
# set look-up and one search instead of a test per negator.
_ONE_CHAR_NEGATORS = frozenset(n for n in NEGATORS if len(n) == 1)
_NEGATED = re.compile("|".join(re.escape(n) for n in NEGATORS if len(n) > 1))

# A phrase with no character a negator or a rebuttal starts with in the REBUTTAL_WINDOW characters before it (which
# hold the NEGATOR_WINDOW's) is negated by neither: most phrases, told without a search (_negation_near).
_NEGATION_STARTS: Final = starts_table((*NEGATORS, *REBUTTALS))
# A counter cue written HEAD…TAIL: the head, then the tail later in the same
# sentence, at most CUE_GAP characters on, with no lexicon phrase between
# (查勘员在现场发现碰撞痕迹与描述不符，随即报警; 骗取人保财险赔款). Its heads
# are in the signal automaton with this market kind.
CUE_GAP = 40
GAPPED_CUE = "…"


class SegmentScore:
    """One segment's score. A plain class, not a dataclass, so that mypyc compiles its construction (a
    dataclass's generated ``__init__`` runs as Python code); the dataclass's repr and equality."""

    def __init__(self, text: str, score: float, hits: list[tuple[str, str]] | None = None,
                 drivers: list[str] | None = None, countered: bool = False, kind: str = "sentence",
                 model: NaiveBayes | None = None, known: dict[str, float] | None = None) -> None:
        self.text = text
        self.score = score
        self.hits: list[tuple[str, str]] = [] if hits is None else hits  # (phrase, risk type)
        # The model's most negative words: given, or told from ``known`` by ``model`` when first read (most
        # segments' are never read: Negativity.reasons reads those of a segment above the neutral score only).
        self._drivers = [] if drivers is None and model is None else drivers
        self._model, self._known = model, known
        self.countered = countered  # a counter cue damped it
        self.kind = kind  # "title" | "sentence" | "context"

    @property
    def drivers(self) -> list[str]:
        if self._drivers is None:
            model, known = self._model, self._known
            self._drivers = model.known_drivers(known) if model is not None and known is not None else []
        return self._drivers

    def __repr__(self) -> str:
        return (f"SegmentScore(text={self.text!r}, score={self.score!r}, hits={self.hits!r}, "
                f"drivers={self.drivers!r}, countered={self.countered!r}, kind={self.kind!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, SegmentScore):
            return NotImplemented
        return (self.text, self.score, self.hits, self.drivers, self.countered, self.kind) == \
            (other.text, other.score, other.hits, other.drivers, other.countered, other.kind)


# The packaged combination's neutral score (combine.Combination.neutral): a segment the model alone carried is
# quoted as a reason when it scores above it (Negativity.reasons).
MODEL_NEUTRAL = combine.load_packaged().neutral()


@dataclass
class Negativity:
    score: float
    segments: list[SegmentScore]
    neutral: float = MODEL_NEUTRAL  # the combination's neutral score; another combination passes its own

    @property
    def sentences(self) -> list[SegmentScore]:
        return self.segments

    @property
    def reasons(self) -> list[SegmentScore]:
        """Segments that drove the score, worst first: each with a lexicon
        phrase, and each the model alone carried — it has drivers (the model's
        logit is positive) and it scores above the combination's neutral score
        (:meth:`combine.Combination.neutral`, sigmoid of the fitted intercept:
        what a segment with no evidence either way scores). A fixed cut-off
        (0.5 before) meant something else after every refit: with the intercept
        at -1.65 a complaint the model reads as plainly negative (查勘员…不耐烦，
        太失望了) scored 0.496 and went unquoted. A segment an advice or
        routine cue pulled back under the neutral score is not quoted."""
        neutral = self.neutral
        return sorted((s for s in self.segments if s.hits or (s.score > neutral and s.drivers)),
                      key=lambda s: -s.score)


class NegativityScorer:
    def __init__(self, tokenizer: Tokenizer, lexicon: Mapping[str, Sequence[str]],
                 negation_cues: Sequence[str] = (), model: NaiveBayes | None = None,
                 risk_weights: Mapping[str, float] | None = None, *,
                 routine_cues: Sequence[str] = (), hedge_cues: Sequence[str] = (),
                 advice_cues: Sequence[str] = (), combination: combine.Combination | None = None,
                 frame_cues: frames.FrameCues | None = None, sarcasm: irony.Sarcasm | None = None) -> None:
        if model is None:
            from sentiment.bayes import load_packaged
            model = load_packaged()
        self._tok = tokenizer
        self.model = model
        self.combination = combination or combine.load_packaged()
        self._frames = frame_cues or frames.DEFAULT_CUES  # rules.yaml frame_cues
        self._sarcasm = sarcasm or irony.DEFAULT  # rules.yaml sarcasm
        # One walk of a segment finds the counter cues and the market cues: routine
        # market cues, hedges and advice cues (a word in several of these lists
        # counts as the first); a word may be a counter cue and a market cue.
        cues = [c for cue in negation_cues if cue for c in alternatives(cue)]
        self._cue_tails = _cue_tails(c for c in cues if GAP in c)
        signals = _signals([c for c in cues if GAP not in c],
                           [(c, GAPPED_CUE) for c in self._cue_tails] + [(c, "routine") for c in routine_cues] +
                           [(c, "hedge") for c in hedge_cues] + [(c, "advice") for c in advice_cues])
        weights = dict(risk_weights or {})
        self._weights = weights  # a sarcasm form's risk type's weight (irony.py)
        plain = [(p, risk) for risk, phrases in lexicon.items() for p in phrases if GAP not in p]
        entries = [(p, (p, risk, weights.get(risk, 1.0))) for p, risk in plain]
        # A phrase with figures in the middle (净利润7255万元，同比减少): its head in the
        # same automaton, with what may follow it (risk None marks a head; see gapped_heads()).
        # Or with words in the middle (当初说好……，结果): a head that is a plain phrase too counts as it without a tail.
        known: dict[str, tuple[str, float]] = {}
        for p, risk in plain:
            known.setdefault(p.lower(), (risk, weights.get(risk, 1.0)))
        heads = gapped_heads(((p, risk, weights.get(risk, 1.0)) for risk, phrases in lexicon.items()
                              for p in phrases if GAP in p), known)
        entries = [e for e in entries if e[0].lower() not in heads]
        # Leftmost-longest: at each position the longest phrase (see sentiment/automaton.py).
        # A value: (phrase, risk type, weight), or for a head (head, None, its Tails).
        words: list[tuple[str, tuple[str, Any, Any]]] = [*entries, *((h, (h, None, tail)) for h, tail in heads.items())]
        lexicon_words = unique_words(words)
        # One walk of a segment for the lexicon, the cues and the sarcasm forms' needs words (as written: irony.py
        # searches them so); the lexicon's occurrences taken leftmost-longest from every one (_walk).
        needs = self._sarcasm.needs
        self._needs_walked = "" not in needs  # an empty word is in every text: irony.py's own search says so
        # and the heads' tails: a head whose tail occurs nowhere after it is matched no further (gapped.Tails.match)
        self._tail_words = list(dict.fromkeys(t for tails in heads.values() for t in tails.tails))
        self._walker = SharedWalk([list(lexicon_words), list(signals), needs if self._needs_walked else [],
                                   self._tail_words])
        self._phrases = list(lexicon_words.values())
        self._signal_values = list(signals.values())
        # The last title advice_title() walked: (title, its cue hits, its lexicon hits or None when not looked
        # for, and the rest of its walk: lexicon occurrences, whether a needs word occurs, tails). The title is
        # usually a segment too, which then is not walked again.
        self._title: tuple[str, list[tuple[int, int, bool, str]],
                           tuple[list[tuple[str, str, float, int, int]], bool] | None,
                           list[tuple[int, int, int]], bool | None, list[tuple[int, str]]] = ("", [], None, [], None, [])

    # ------------------------------------------------------------ one segment

    def lexicon_hits(self, text: str, lowered: str | None = None) -> list[tuple[str, str, float, int, int]]:
        """Distinct ``(phrase, risk type, weight, start, end)`` found in
        ``text``, longest match at each position, skipping negated occurrences."""
        return self._hits(text, text.lower() if lowered is None else lowered)[0]

    def _walk(self, lowered: str) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, bool, str]], bool | None,
                                           list[tuple[int, str]]]:
        """One walk of ``lowered``: the lexicon's occurrences leftmost-longest ``(pattern, start, end)``, the cues
        (:meth:`_cues`), whether a sarcasm form's needs word occurs (None: not looked for), the heads' tails
        ``(start, tail)``."""
        bounds = self._walker.bounds
        lexicon_end, signals_end, needs_end = bounds[0], bounds[1], bounds[2]
        phrases: list[tuple[int, int, int]] = []
        cues: list[tuple[int, int, bool, str]] = []
        tails: list[tuple[int, str]] = []
        needed = False
        values = self._signal_values
        for p, start, end in self._walker.find(lowered):
            if p < lexicon_end:
                phrases.append((p, start, end))
            elif p < signals_end:
                counter, what = values[p - lexicon_end]
                cues.append((start, end - 1, counter, what))
            elif p < needs_end:
                needed = True
            else:
                tails.append((start, self._tail_words[p - needs_end]))
        found = leftmost_longest(phrases) if phrases else phrases
        return found, cues, needed if self._needs_walked else None, tails

    def _hits(self, text: str, lowered: str, walked: list[tuple[int, int, int]] | None = None,
              tails: list[tuple[int, str]] | None = None) -> tuple[list[tuple[str, str, float, int, int]], bool]:
        """:meth:`lexicon_hits`, and whether a phrase was found negated (a denial: 不存在销售误导). ``walked``,
        ``tails``: the lexicon's occurrences and the heads' tails in ``lowered`` when walked already (:meth:`_walk`)."""
        denied = False
        hits: list[tuple[str, str, float, int, int]] = []
        values = self._phrases
        if walked is None or tails is None:
            walk = self._walk(lowered)
            walked, tails = walk[0], walk[3]
        for p, start, end in walked:
            phrase, risk, weight = values[p]
            if risk is None:  # a head: the phrase goes on after figures or words (weight holds the rest)
                found = weight.match(lowered, end) if occurs_from(tails, end, weight.tails) else None
                if found is not None:
                    phrase, (risk, weight) = text[start:found.end()], weight.tails[found.group(1)]
                    end = found.end()
                elif weight.plain is not None:  # the head is a phrase of its own too
                    phrase, risk, weight = weight.plain
                else:
                    continue
            if _negation_near(lowered, start):
                before = lowered[max(0, start - NEGATOR_WINDOW):start]
                if before[-1:] in _ONE_CHAR_NEGATORS or _NEGATED.search(before) or \
                        _REBUTTAL.search(lowered, max(0, start - REBUTTAL_WINDOW), start):
                    denied = True
                    continue
            if not any(h[0] == phrase for h in hits):
                hits.append((phrase, risk, weight, start, end))
        return hits, denied

    def countered(self, text: str, hits: Sequence[tuple] = (), lowered: str | None = None) -> bool:
        """A counter cue occurs that is neither negated (不满意 is no 满意)
        nor part of a lexicon phrase (虚假宣传 is no 宣传)."""
        lowered = text.lower() if lowered is None else lowered
        for start, end, counter, what in self._cues(lowered):  # noqa: SIM110 -- no generator (mypyc)
            if (counter or what == GAPPED_CUE) and self._cue_counts(lowered, start, end, what, hits):
                return True
        return False

    def _cue_counts(self, lowered: str, start: int, end: int, what: str, hits: Sequence[tuple]) -> bool:
        """A counter cue found at ``start``…``end`` (inclusive) damps the segment (:func:`_counts`);
        a HEAD…TAIL cue's head only with its tail after it and no lexicon phrase between."""
        if not _counts(lowered, start, end, hits):
            return False
        if what != GAPPED_CUE:
            return True
        tail = self._cue_tails[lowered[start:end + 1]].match(lowered, end + 1)
        if tail is None:
            return False
        for h in hits:  # noqa: SIM110 -- as in _counts
            if end < h[3] < tail.start(1):
                return False
        return True

    def _cues(self, lowered: str) -> list[tuple[int, int, bool, str]]:
        """The counter cues and market cues in ``lowered``, one walk:
        ``(start, end inclusive, whether a counter cue, market kind or "")``."""
        return self._walk(lowered)[1]

    def advice_title(self, title: str, lowered: str | None = None) -> bool:
        """A title of advice, a how-to or a service notice: an advice cue,
        not negated (未提示 is a grievance), and no lexicon phrase (理赔难如何
        维权 is a grievance asked as a question). Its every segment is advice.
        ``lowered``: ``title.lower()`` when the caller has it."""
        lowered = title.lower() if lowered is None else lowered
        phrases, cues, needed, tails = self._walk(lowered)
        advice = False
        for start, _, _, what in cues:
            if what == "advice" and not _negated_cue(lowered, start):
                advice = True
                break
        found = self._hits(title, lowered, phrases, tails) if advice else None
        self._title = (title, cues, found, phrases, needed, tails)  # for the title's segment (_evidence)
        return found is not None and not found[0]

    def frame_title(self, title: str) -> str:
        """The title's frame (sentiment/frames.py: a resolution, a clarification,
        an appointment) or "". Call after :meth:`advice_title` on the same title:
        the lexicon hits it finds are kept for the title's segment too."""
        if not self._frames.has_cue(title):
            return ""
        kept = self._title
        if kept[0] != title:
            self.advice_title(title)
            kept = self._title
        found = kept[2]
        if found is None:
            found = self._hits(title, title.lower(), kept[3], kept[5])
            self._title = (title, kept[1], found, kept[3], kept[4], kept[5])
        return self._frames.title_frame(title, found[0])

    def evidence(self, text: str, kind: str = "sentence", advice_title: bool = False,
                 frame: str = "") -> tuple[tuple[float, ...], list, bool, list[str]]:
        """The combination's features for one segment (sentiment/combine.py),
        with the lexicon hits, whether a counter cue damped it, and tokens.
        ``advice_title``: the document's title is advice (its every segment is);
        ``frame``: the title's frame (:meth:`frame_title`)."""
        tokens = self._tok.cut(text)
        x, hits, countered, _ = self._evidence(text, kind, tokens, advice_title, frame)
        return x, hits, countered, tokens

    def _evidence(self, text: str, kind: str, tokens: list[str], advice_title: bool = False, frame: str = "",
                  lowered: str | None = None
                  ) -> tuple[tuple[float, ...], list[tuple[str, str, float, int, int]], bool, dict[str, float]]:
        """:meth:`evidence` with the tokens the model knows instead of all
        tokens (what the segment's drivers are chosen from); ``lowered``: ``text.lower()`` when the caller has it."""
        model = self.model
        known = model.known(tokens)
        nb = model.known_logit(known)
        if lowered is None:
            lowered = text.lower()
        title = self._title
        if text == title[0]:  # the title, walked by advice_title()
            cues, found, phrases, needed, tails = title[1], title[2], title[3], title[4], title[5]
        else:
            (phrases, cues, needed, tails), found = self._walk(lowered), None
        hits, denied = self._hits(text, lowered, phrases, tails) if found is None else (list(found[0]), found[1])
        start, end, told = self._sarcasm.story(lowered, needed)
        if start >= 0 and not any(h[1] == told for h in hits):  # sarcasm or a cost told without a complaint word
            hits.append((text[start:end], told, self._weights.get(told, 1.0), start, end))
        if frame == frames.APPOINTMENT:
            # A routine appointment: the predecessor leaving is no news, nor the model's reading of it.
            hits = [h for h in hits if h[1] != frames.ROUTINE_CHANGE]
            nb = min(nb, 0.0)
        if kind == "context":
            # A neighbouring sentence that does not name the unit: the model's
            # general negativity (保存证据, 报警) there is too often about
            # something else; it may only lower (a counter cue: combine.features).
            nb = min(nb, 0.0)
        # A denial and no other phrase (公司：不存在销售误导) is the unit's rebuttal,
        # not a new grievance: the model's reading of the denied words is capped, as a counter cue does.
        countered = denied and not hits
        routine = hedged = False
        advice = advice_title
        for start, end, counter, what in cues:  # counter and market cues, one walk (see countered())
            if (counter or what == GAPPED_CUE) and not countered:
                countered = self._cue_counts(lowered, start, end, what, hits)
            if what:
                routine, hedged = routine or what == "routine", hedged or what == "hedge"
                advice = advice or (what == "advice" and not _negated_cue(lowered, start))
        if frame and frame != frames.APPOINTMENT:  # a resolution or clarification: damped as under a counter cue
            countered = True
        x = combine.features(nb, [h[2] for h in hits], countered, routine, hedged, kind, advice)
        return x, hits, countered, known

    def segment(self, text: str, weight: float = 1.0, kind: str = "sentence", advice_title: bool = False,
                frame: str = "", tokens: list[str] | None = None, lowered: str | None = None) -> SegmentScore:
        """``tokens``: ``text``'s precise-mode tokens when the caller has them (tokenize.CutText); ``lowered``: its
        lower case (``text.lower()``)."""
        words = self._tok.cut(text) if tokens is None else tokens
        x, hits, countered, known = self._evidence(text, kind, words, advice_title, frame, lowered)
        score = self.combination.probability(x) * weight
        # x[1]: model_pos; its drivers told when read (SegmentScore.drivers)
        return SegmentScore(text, round4(score), [(h[0], h[1]) for h in hits], None if x[1] > 0 else [], countered,
                            kind, self.model, known)

    # ------------------------------------------------------------ a document

    def score_segments(self, segments: Sequence[tuple[str, float, str]], advice_title: bool = False,
                       frame: str = "") -> Negativity:
        """Score ``(text, weight, kind)`` segments and aggregate."""
        scored = [self.segment(text, weight, kind, advice_title, frame) for text, weight, kind in segments if text]
        return Negativity(aggregate([s.score for s in scored]), scored, self.combination.neutral())

    def score(self, title: str, text: str) -> Negativity:
        """Whole-document negativity (title and every sentence), for texts
        that are not about a particular unit (evaluation on other data)."""
        segments = [(title, 1.0, "title")] if title else []
        segments += [(s, 1.0, "sentence") for s in split_sentences(text)]
        advice = bool(title) and self.advice_title(title)
        return self.score_segments(segments, advice, self.frame_title(title) if title else "")


def alternatives(cue: str) -> list[str]:
    """A cue written with groups of alternatives, each (a|b|…) and possibly
    empty (a|), as every string it stands for: (人寿|公司)(|及时)报警 is 人寿报警,
    人寿及时报警, 公司报警, 公司及时报警 (a role bound to the insurer as the
    subject: the reporter or helper, not the wrongdoer). A plain cue is itself."""
    out = [""]
    for part in re.split(r"(\([^()]*\))", cue):
        words = part[1:-1].split("|") if part.startswith("(") and part.endswith(")") else [part]
        out = [o + w.strip() for o in out for w in words]
    return [o for o in out if o]


def _cue_tails(cues: Iterable[str]) -> dict[str, re.Pattern[str]]:
    """HEAD…TAIL counter cues (lower-cased): head → the pattern of what may
    follow it: up to CUE_GAP characters within the sentence, then a tail."""
    tails: dict[str, list[str]] = {}
    for cue in cues:
        head, _, tail = cue.lower().partition(GAP)
        if head and tail and GAP not in tail:
            tails.setdefault(head, []).append(tail)
    return {head: re.compile(rf"[^。！？!?\n]{{0,{CUE_GAP}}}?({'|'.join(re.escape(t) for t in sorted(ts, key=len, reverse=True))})")
            for head, ts in tails.items()}


def _negation_near(lowered: str, start: int) -> bool:
    """Whether a negator or a rebuttal may end right before ``start``: a character one starts with is among the
    REBUTTAL_WINDOW before it (or one beyond the BMP, which the table does not cover)."""
    table = _NEGATION_STARTS
    for k in range(max(0, start - REBUTTAL_WINDOW), start):
        code = ord(lowered[k])
        if code >= 0x10000 or ord(table[code]):
            return True
    return False


def _negated_cue(lowered: str, start: int) -> bool:
    return start > 0 and lowered[start - 1] in CUE_NEGATORS


def _counts(lowered: str, start: int, end: int, hits: Sequence[tuple]) -> bool:
    """A counter cue found at ``start``…``end`` (inclusive) damps the segment:
    it is not negated (不满意 is no 满意), not demanded, promised or absent (未能妥善处理,
    公司称将妥善处理: frames.not_done) nor inside a lexicon phrase (虚假宣传 is no 宣传)."""
    if frames.not_done(lowered, start):  # its negators include CUE_NEGATORS' 不, 未, 没
        return False
    for h in hits:  # noqa: SIM110 -- any() over a generator costs more here
        if h[3] <= start and end < h[4]:
            return False
    return True


def _signals(counter_cues: Iterable[str], market_cues: Iterable[tuple[str, str]]) -> dict[str, tuple[bool, str]]:
    """The lower-cased counter cues and market cues, walked as one set: each word's value is ``(whether a
    counter cue, its market kind or "")``, the first market kind given for a word winning."""
    found: dict[str, tuple[bool, str]] = {}
    for cue in counter_cues:
        if cue:
            found[cue.lower()] = (True, "")
    for cue, what in market_cues:
        key = cue.lower()
        if key:
            counter, known = found.get(key, (False, ""))
            if not known:
                found[key] = (counter, what)
    return found


def round4(x: float) -> float:
    """``round(x, 4)``, bit for bit, without its decimal conversion (a few
    thousand instructions a call): ``x * 10000`` is within 2**-25 of the exact
    product, so unless it lies within 1e-6 of a tie its nearest integer n is
    the exact product's, and n / 10000 (a correctly rounded division) is the
    double nearest the decimal round() parses. Near a tie, or far out: round()."""
    y = x * 10000.0
    if -1e8 < y < 1e8:
        n = math.floor(y)
        frac = y - n
        if abs(frac - 0.5) > 1e-6:
            return math.copysign((n + 1 if frac > 0.5 else n) / 10000.0, x)  # round(-0.00001, 4) is -0.0
    return round(x, 4)


def aggregate(scores: Sequence[float]) -> float:
    """The worst segment dominates; a second bad one adds a little."""
    if not scores:
        return 0.0
    # The two largest (sorted(scores, reverse=True)[:2]) in one pass, without sorting.
    first, second = scores[0], 0.0
    for i in range(1, len(scores)):
        s = scores[i]
        if s > first:
            first, second = s, first
        elif i == 1 or s > second:
            second = s
    value = first + (SECOND_WORST * second * (1 - first) if len(scores) > 1 else 0.0)
    return round4(min(1.0, max(0.0, value)))
