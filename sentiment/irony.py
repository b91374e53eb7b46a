"""Sarcasm (讽刺反语) told without a complaint word (sentiment/negativity.py).

Two forms, each a frame around a grievance rather than a word of one:

* thanks for a lesson in what something bad is called: 感谢…，让我深刻理解了
  什么叫投保容易理赔难, 让我学会了什么叫踢皮球 (the thing named after 什么叫),
  or for a lesson at all: 感谢阳光保险给我上了一课, 感谢…教会我一个道理;
* praise with an emphasis (是真的高, 真是快, 可真贴心) followed, within the
  sentence, by time gone by and nothing done: 效率是真的高，报案一个月了，查勘员
  还在路上, or the same errand over and over: 真是太贴心了，转了八次人工. Praise
  followed by the time it took (三天就赔了) is praise.

* understated: speed promised, then the time it took said after it (加急了一个月,
  尽快处理了半年): the promise's word with 了 and a span of time.

A segment with any counts as a phrase of the lexicon's 讽刺反语 type. The forms are
configuration (rules.yaml ``sarcasm``, checked at load), so ``yuqing try-rule`` can tune them.

The same machinery finds a complaint told as its cost, with no complaint word (a form with a
``risk``: a phrase of that lexicon type, 服务纠纷): hours spent waiting (等了三个小时, 从中午等到
天黑, 排到下班), days gone by with nothing done (等了47天仍未结案), errands over and over (来回折腾
四次, 打了十几个电话), the same answer after coming back (周一来了又说系统升级), a refusal ignored
(退订了还发), and a dismissive reply (爱修不修, 态度很差). Structures, not phrase lists: a number
and a unit of time or of errands, a verb of waiting or going.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from sentiment.automaton import any_in

RISK = "讽刺反语"

# The forms' patterns. A form is tried only in a segment with one of its ``needs`` words (one search
# for all of them first, then an `in` test per word: far cheaper than each pattern's search); its
# ``pattern`` is the cue, and ``then``, if any, must match after the cue.
LESSON = (r"让我们?(?:深刻|终于|彻底|真正|再次|算是)?(?:学会|理解|明白|见识|知道|体会|懂得|领教|认识)(?:到)?了?"
          r"(?:什么叫|啥叫|何为|什么是|啥是)|感谢[^。！？!?\n]{0,12}?(?:给我们?上了一课|教会了?我们?一个道理)")
PRAISE = (r"(?:是真的|真是|真的是|可真是?|实在是|可太|简直太?)太?(?:高|快|好|棒|贴心|专业|负责|靠谱|给力|周到|及时|高效|暖心|省心|"
          r"厉害)|(?:好|快|高|棒)得很")
# Time gone by, then nothing done yet (一个月了，查勘员还在路上; 半年了还没赔).
STILL = (r"(?:\d+|[一二两三四五六七八九十半几多]+)个?(?:天|周|星期|礼拜|月|年|小时)(?:了|过去了)[^。！？!?\n]{0,16}?"
         r"(?:还在|还没|还是没|仍未|仍没|仍在|都没|也没|一直没|一分钱没)"
         # or the same errand over and over (转了八次人工, 催了三回, 打了十几个电话)
         r"|(?:转|打|催|问)了(?:\d+|[二两三四五六七八九十几多][一二三四五六七八九十几多]*)(?:次|遍|回|个电话)"
         # or a long time called short (才用了三个月), or praise taken to where nothing works (好到我想退保都找不着人)
         r"|才(?:用了|花了|等了|用|花)?(?:整整|足足|仅仅|只)?(?:\d+|[一二两三四五六七八九十半几多]+)个?多?(?:月|年)"
         r"|(?:好|快|高|贴心|专业|负责|周到)到[^。！？!?\n]{0,12}?(?:找不着|找不到|没人|排了|等了|想退|投诉|联系不上|打不通)")
# Speed promised, then how long it took (加急了一个月; 尽快处理了半年).
HURRIED = (r"(?:加急|尽快|马上)(?:处理|办理)?了(?:整整|足足|快|将近|近)?"
           r"(?:\d+|[一二两三四五六七八九十半几多]+)个?(?:多)?(?:天|周|星期|礼拜|月|年)")
_N = r"(?:\d+|[一二两三四五六七八九十半几多]+)"
# The cost of a complaint (a 服务纠纷 phrase): hours waited (等了三个小时, 排了一上午), from one
# time to another (从中午等到天黑; not 安排到), or until the day is over (等到天黑) or the counter closes
# (排到中午说下班了); not 熬到凌晨,
# which is more often staff working late.
WAITED = (rf"(?:等|排|耗|熬)了?(?:整整|足足|快|将近|近|大概|差不多)?{_N}个?多?(?:小时|钟头)"
          r"|(?:等|排|耗|熬)了(?:整整|足足)?(?:一整天|一上午|一下午|一晚上|一宿|大半天|一天|半天|一整夜)"
          r"|从[^，,。！？!?\n]{0,8}?(?:等|(?<!安)排|拖)到|(?:等|(?<!安)排|拖)到(?:天黑|半夜|深夜|凌晨|下班|关门|第二天|后半夜)"
          # or until told the counter is closing (排到中午工作人员说下班了)
          r"|(?:等|(?<!安)排)到[^，,。！？!?\n]{1,8}?(?:说|告诉我|却|结果)(?:已经|要)?(?:下班|关门|午休|休息)")
# Days gone by (等了47天, 拖了两个月), then nothing done within the sentence.
# A hotline's queue told in minutes, half an hour or more (客服热线排了四十多分钟; not 五分钟就接通了).
WAITED_MINUTES = r"(?:等|排|耗|熬|听)了?(?:整整|足足|快|将近|近|大概|差不多|要)?(?:[三四五六七八九]十|[3-9]\d)(?:多|几|来)?分钟"
WAITED_DAYS = rf"(?:等了|拖了|过去了)(?:整整|足足|快|将近|近)?{_N}个?多?(?:天|周|星期|礼拜|月|年)"
NOTHING_YET = (r"[^。！？!?\n]{0,12}?(?:还没|还是没|仍未|仍没|仍在|都没|也没|一直没|还在|没见|不见|没动静|没消息|没下文|"
               r"没到账|不到账)")
# Errands over and over (跑了四趟, 来回折腾四次, 打了十几个电话, 转了八次人工); not the insurer's
# own follow-up calls (回访电话打了三次: the calls are theirs, not the customer's errand).
ERRANDS = (r"(?:跑|折腾|往返|白跑|(?<!回访电话)(?<!回访)打|催|问|转)了(?:整整|足足|好)?(?:\d+|[二两三四五六七八九十几多好][一二三四五六七八九十几多]*)"
           r"(?:趟|次|遍|回|个电话|通电话)|(?:来回|反复)(?:折腾|跑)了?(?:\d+|[二两三四五六七八九十几多好][一二三四五六七八九十几多]*)(?:趟|次|遍|回)")
# Back again, and another answer (周一来了又说系统升级; 补齐了又说还缺).
AGAIN = r"(?:来了|去了|到了|交了|交上去|打过去|问了|补了|补齐|准备好)[^。！？!?\n]{0,8}?又(?:说|让|要|推|改口|缺)"
# A refusal ignored (退订了还发, 拒绝了还打).
IGNORED = (r"(?:拒绝|退订|拒接|拉黑|说了不需要|说了不要|说不需要|说不要|不需要了)[^。！？!?\n]{0,10}?"
           r"(?:还|照样|继续|照旧|又)(?:打|发|来|推)")
# A dismissive reply or manner (爱修不修, 爱答不理, 态度很差).
DISMISSED = r"爱(.)不\1|爱答不理|爱搭不理|态度(?:很|太|极其|极|特别|非常|真|也太|实在)?(?:差|恶劣|蛮横|冷漠|敷衍|傲慢|生硬)"
COST = "服务纠纷"


class FormSpec(NamedTuple):
    """A form as configured: its needs words (a form is tried only in a segment with one; each
    word in every match, as rare as it comes), its cue, what must follow the cue (or None), and
    the lexicon risk type of what it finds (讽刺反语, or 服务纠纷 for a complaint told as its cost)."""
    needs: tuple[str, ...]
    pattern: str
    then: str | None = None
    risk: str = RISK


# The forms, in the order they are tried (rules.yaml ``sarcasm``: :class:`Sarcasm`; these are the defaults).
FORMS: dict[str, FormSpec] = {
    "lesson": FormSpec(("让我", "感谢"), LESSON),
    "praise": FormSpec(("真", "实在是", "可太", "简直", "得很"), PRAISE, STILL),
    "hurried": FormSpec(("加急", "尽快", "马上"), HURRIED),
    "waited": FormSpec(("小时", "钟头", "等了", "排了", "耗了", "熬了", "等到", "排到", "拖到"), WAITED, None, COST),
    "waited_minutes": FormSpec(("人工", "热线", "客服电话", "排队"), WAITED_MINUTES, None, COST),
    "waited_days": FormSpec(("等了", "拖了", "过去了"), WAITED_DAYS, NOTHING_YET, COST),
    "errands": FormSpec(("跑了", "折腾", "往返了", "打了", "催了", "问了", "转了", "来回", "反复"), ERRANDS, None, COST),
    "again": FormSpec(("又说", "又让", "又要", "又推", "又改口", "又缺"), AGAIN, None, COST),
    "ignored": FormSpec(("拒绝", "退订", "拒接", "拉黑", "需要", "不要"), IGNORED, None, COST),
    "dismissed": FormSpec(("爱", "态度"), DISMISSED, None, COST),
}


class Form:
    """One form of sarcasm: its needs words, its cue and what must follow the cue."""

    def __init__(self, needs: tuple[str, ...], pattern: str, then: str | None = None, risk: str = RISK) -> None:
        self.needs = needs
        self.risk = risk
        self.pattern = re.compile(pattern)
        self.then = re.compile(then) if then else None

    def find(self, lowered: str) -> tuple[int, int]:
        if not any_in(self.needs, lowered):
            return -1, -1
        found = self.pattern.search(lowered)
        if found is None or (self.then is not None and self.then.search(lowered, found.end()) is None):
            return -1, -1
        return found.start(), found.end()


class Sarcasm:
    """The forms of sarcasm (and of a complaint told as its cost) without a complaint word
    (rules.yaml ``sarcasm``; :data:`FORMS` when absent)."""

    def __init__(self, forms: dict[str, FormSpec] | None = None) -> None:
        specs = FORMS if forms is None else forms
        self.forms = [Form(f.needs, f.pattern, f.then, f.risk) for f in specs.values()]
        # One search for every form's needs words first: most segments hold none, and one search
        # costs less than a test per word (the forms' own tests follow only where one is found).
        needs = sorted({w for form in self.forms for w in form.needs}, key=lambda w: (-len(w), w))
        self.needs = needs  # for a caller that walks them with other words (negativity.py)
        self._needs = re.compile("|".join(re.escape(w) for w in needs)) if needs else None

    def ironic(self, lowered: str) -> tuple[int, int]:
        """Where the first form's cue found in ``lowered`` is (start, end), or (-1, -1)."""
        start, end, _ = self.story(lowered)
        return start, end

    def story(self, lowered: str, needed: bool | None = None) -> tuple[int, int, str]:
        """The first form found in ``lowered``: its cue's (start, end) and its risk type, or (-1, -1, "").
        ``needed``: whether one of :attr:`needs` occurs in ``lowered``, when the caller has looked."""
        if needed is None:
            needed = self._needs is not None and self._needs.search(lowered) is not None
        if not needed:
            return -1, -1, ""
        for form in self.forms:
            start, end = form.find(lowered)
            if start >= 0:
                return start, end, form.risk
        return -1, -1, ""


DEFAULT = Sarcasm()


def ironic(lowered: str) -> tuple[int, int]:
    """Where the sarcasm's cue is in ``lowered`` (start, end), or (-1, -1), under the default forms."""
    return DEFAULT.ironic(lowered)
