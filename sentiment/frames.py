"""What a headline frames its story as (sentiment/negativity.py, scorer.py).

A title sets the frame its body is read in. Three frames are not grievances
even though their bodies repeat the grievance's words:

* **resolution** — the member settled a dispute (妥善化解一起车险理赔纠纷: the body
  says what the dispute was). The title's lexicon phrases, if any, are the
  cue's object (after it), or quoted;
* **clarification** — the member's 情况说明 / 澄清 / 辟谣 of an allegation (关于
  “业务员卷款跑路”一事的情况说明). Its lexicon phrases are quoted (网传“…”), or
  the title is the statement's own name (关于客户理赔投诉的情况说明: what it is about,
  from 关于 to the cue ending the title, is named as a quotation is), or the cue is a
  refutation (…系谣言, 不实; a court's 驳回诉请) that answers them wherever they are;
* **appointment** — a routine appointment (任命, 履新, 到任, 获批任职资格) with no
  lexicon phrase in the title: the predecessor leaving (卸任, 另有任用) is
  routine, and the model's reading of 原总经理, 免去 is no grievance. A routine
  event of the member's own (开业, 揭牌, 签约: the ``event`` cues) frames its
  story the same way: the model's reading of 养老社区开业 is no grievance.

A resolution cue right after a lexicon phrase resolves it (车损理赔纠纷已妥善
解决: the phrase is the cue's subject, with at most 已, 均已, 得到 between), and one
told as done with 已 resolves every phrase before it (就客户投诉致歉 已完成赔付: the
grievance is in the past).

A frame cue does not count when a demand, a promise, a question or its
absence comes right before it (要求妥善处理, 将妥善处理, 能否妥善解决, 未妥善处理,
拒不澄清): those titles still carry the grievance.

Under a resolution or clarification frame every segment of the document is
damped as under a counter cue; under an appointment frame the model's reading
is capped at 0 and 高管变动 phrases do not count, but any other risk (被查, 罚款)
still does.

The cue words are configuration (rules.yaml ``frame_cues``, so ``yuqing
try-rule`` can tune them); what makes a cue not done (its negators, demands,
promises) is grammar and stays here.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

RESOLUTION = "resolution"
CLARIFICATION = "clarification"
APPOINTMENT = "appointment"
# The risk type an appointment frame discounts (rules.yaml negative_lexicon).
ROUTINE_CHANGE = "高管变动"

# The cues' default words; a configuration's rules.yaml ``frame_cues`` replaces them (:class:`FrameCues`).
RESOLUTION_CUES = ("化解", "妥善处理", "妥善解决", "圆满解决", "达成和解", "达成一致", "握手言和", "已完成赔付", "办结", "已解决",
                   "已全额赔付",
                   # paid in full, told as done (回应“拒赔…”：相关案件均已赔付)
                   "均已赔付", "已足额赔付", "已全部赔付", "已赔付完毕",
                   # a reply whose answer is the thing done (回应“退保难”：已为客户办理退保手续)
                   "已为客户办理", "已为其办理", "已为客户办妥", "已为其办妥", "已为客户办结", "已办理完毕")
# Refutations answer the allegation wherever it stands in the title (网传拒赔系谣言).
REFUTATION_CUES = ("辟谣", "不实", "系谣言", "纯属谣言", "与事实不符", "不属实", "不符合事实", "系误读",
                   # a court's dismissal of the claim (起诉太平人寿… 法院驳回诉请): the insurer won
                   "驳回诉请", "驳回诉讼请求", "驳回其诉讼请求", "驳回全部诉讼请求", "驳回其全部诉讼请求", "驳回原告诉讼请求",
                   "驳回原告全部诉讼请求", "驳回原告的诉讼请求", "驳回起诉",
                   # the insurer's own recovery suit (追偿: always the insurer's) upheld
                   "追偿诉讼获法院支持", "追偿获法院支持", "追偿获法院判决支持", "追偿诉讼获支持", "追偿获支持", "追偿诉讼胜诉", "追偿胜诉")
# A statement answers what it quotes (关于“…”一事的情况说明).
STATEMENT_CUES = ("情况说明", "的说明", "的澄清", "澄清")
APPOINTMENT_CUES = ("任命", "履新", "到任", "新任", "任职资格", "任职决定", "任免", "出任", "接任", "就任", "上任")
# The member's own routine events, framed as an appointment is.
EVENT_CUES = ("开业", "开园", "揭牌", "开幕", "落成", "签约", "签署", "授牌", "启动仪式")
# What may stand between a lexicon phrase and the resolution cue it is the subject of (纠纷已妥善解决).
_RESOLVED_SUBJECT = re.compile(r"(?:已经?|均已|都已|现已|目前已|已被|被|得到|得以|获|已获|已得到)?")
# Right before a cue: a demand, a promise, a question, its absence; or a demand
# anywhere earlier in its clause (监管要求平安产险妥善化解理赔纠纷).
_NOT_DONE = re.compile(r"(?:将|要求|责令|督促|敦促|呼吁|望|请|希望|能否|何时|承诺|未|没|没有|尚未|未能|拒不|不|难以|无法)$")
_DEMANDED = re.compile(r"(?:要求|责令|督促|敦促|呼吁|希望|敦请|约谈)[^，,；;：:！!？?\s。]*$")
# An allegation reported, not asserted: from one of these words to the cue (关于网传平安产险拒赔的情况说明).
_REPORTED = re.compile("网传|所谓|传闻|传言|网络流传|网上流传")
# The member's word that a dispute is settled, not the fact (称已妥善处理, 表示已解决).
_CLAIMED = re.compile(r"(?:称|表示|声称|回应|宣称|说)(?:现|均|都)?$")
# A statement's own title: 关于 what, then the statement cue at the title's end (trailing marks aside).
_ABOUT = "关于"
_TITLE_END = " \u3000。.！!"
_QUOTE_OPEN = "“「『\"《‘"
_QUOTE_CLOSE = "”」』\"》’"


class FrameCues:
    """The words of each frame's cue (rules.yaml ``frame_cues``; the defaults above when absent)."""

    def __init__(self, resolution: Sequence[str] = RESOLUTION_CUES, refutation: Sequence[str] = REFUTATION_CUES,
                 statement: Sequence[str] = STATEMENT_CUES, appointment: Sequence[str] = APPOINTMENT_CUES,
                 event: Sequence[str] = EVENT_CUES) -> None:
        self.resolution = tuple(resolution)
        self.refutation = tuple(refutation)
        self.statement = tuple(statement)
        self.appointment = tuple(appointment)
        self.event = tuple(event)
        every = self.resolution + self.refutation + self.statement + self.appointment + self.event
        self._any = re.compile("|".join(re.escape(c) for c in every)) if every else None

    def has_cue(self, title: str) -> bool:
        """Whether ``title`` has any frame cue at all (most titles have none)."""
        return self._any is not None and self._any.search(title) is not None

    def title_frame(self, title: str, hits: Sequence[tuple[str, str, float, int, int]]) -> str:
        """The title's frame (RESOLUTION, CLARIFICATION, APPOINTMENT) or "".
        ``hits`` are the title's lexicon hits ``(phrase, risk, weight, start, end)``."""
        if not title:
            return ""
        spans = quoted_spans(title) if hits else []
        resolved = _done_cues(title, self.resolution)
        if resolved:
            first, settled = resolved[0], _settled(title, resolved)
            if all(h[3] >= first or _quoted(h[3], h[4], spans) or _subject_of(title, h[4], resolved) or h[4] <= settled
                   for h in hits):
                return RESOLUTION
        if _done_cues(title, self.refutation):
            return CLARIFICATION
        if _done_cues(title, self.statement):
            about = _statement_of(title, self.statement)
            if about is not None:
                spans.append(about)
            if all(_quoted(h[3], h[4], spans) for h in hits):
                return CLARIFICATION
        if not hits and (_done_cues(title, self.appointment) or _done_cues(title, self.event)):
            return APPOINTMENT
        return ""


DEFAULT_CUES = FrameCues()


def has_cue(title: str) -> bool:
    """Whether ``title`` has any of the default frame cues (:meth:`FrameCues.has_cue`)."""
    return DEFAULT_CUES.has_cue(title)


def not_done(text: str, at: int) -> bool:
    """Whether the cue at ``at`` in ``text`` is demanded, promised, asked or absent rather than
    done (未能妥善处理, 将妥善处理, 要求妥善处理 — also a demand earlier in its clause)."""
    return _NOT_DONE.search(text, max(0, at - 4), at) is not None or _DEMANDED.search(text, 0, at) is not None


def _done_cues(title: str, cues: Sequence[str]) -> list[int]:
    """Where each of ``cues`` occurs in ``title`` as something done (not demanded,
    promised, asked or absent): their start positions, sorted."""
    found: list[int] = []
    for cue in cues:
        at = title.find(cue)
        while at >= 0:
            if not not_done(title, at):
                found.append(at)
            at = title.find(cue, at + 1)
    return sorted(found)


def _statement_of(title: str, cues: Sequence[str]) -> tuple[int, int] | None:
    """The span of what a title that is itself a statement's name is about (关于客户理赔投诉的情况说明,
    某公司关于…的说明: from 关于 to the statement cue that ends the title), or None: the insurer's own reply
    names the grievance it answers, as a quotation does."""
    about = title.find(_ABOUT)
    if about < 0:
        return None
    end = len(title.rstrip(_TITLE_END))
    for cue in cues:
        if cue and title.endswith(cue, 0, end) and end - len(cue) > about:
            return (about + len(_ABOUT), end - len(cue))
    return None


def _settled(title: str, cues: list[int]) -> int:
    """Where the last resolution cue told as done with 已 (已完成赔付, 投诉致歉 已完成赔付, 现已妥善处理) starts,
    or -1: the grievance before it is in the past. Not the member's claim of it (称已妥善处理)."""
    for i in range(len(cues) - 1, -1, -1):
        at = cues[i]
        mark = at if title.startswith("已", at) else at - 1 if title.endswith("已", 0, at) else \
            at - 2 if title.endswith("已经", 0, at) else -1
        if mark >= 0 and _CLAIMED.search(title, max(0, mark - 3), mark) is None:
            return at
    return -1


def _subject_of(title: str, end: int, cues: list[int]) -> bool:
    """Whether a phrase ending at ``end`` is the subject of one of the resolution cues at ``cues``
    (纠纷已妥善解决): the cue follows it with at most 已, 均已, 得到 between."""
    found = _RESOLVED_SUBJECT.match(title, end)
    return found is not None and found.end() in cues


def quoted_spans(title: str) -> list[tuple[int, int]]:
    """The [start, end) spans inside quotation marks or title marks, and from a
    word that reports an allegation (网传, 所谓) to the end of the title."""
    spans: list[tuple[int, int]] = []
    reported = _REPORTED.search(title)
    if reported is not None:
        spans.append((reported.end(), len(title)))
    i = 0
    while i < len(title):
        ch = title[i]
        kind = _QUOTE_OPEN.find(ch)
        if kind >= 0:
            close = title.find(_QUOTE_CLOSE[kind], i + 1)
            if close > i:
                spans.append((i + 1, close))
                i = close
        i += 1
    return spans


def _quoted(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    for lo, hi in spans:  # noqa: SIM110 -- no generator (mypyc)
        if lo <= start and end <= hi:
            return True
    return False


def title_frame(title: str, hits: Sequence[tuple[str, str, float, int, int]]) -> str:
    """The title's frame under the default cues (:meth:`FrameCues.title_frame`)."""
    return DEFAULT_CUES.title_frame(title, hits)
