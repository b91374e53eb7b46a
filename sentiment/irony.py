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
"""
from __future__ import annotations

import re

RISK = "讽刺反语"

# The forms, in the order they are tried: name -> (needs, pattern, then). A form is tried
# only in a segment with one of its ``needs`` words (an `in` test is far cheaper than a
# search); its ``pattern`` is the cue, and ``then``, if any, must match after the cue.
# Configuration: rules.yaml ``sarcasm`` (:class:`Sarcasm`); these are the defaults.
LESSON = (r"让我们?(?:深刻|终于|彻底|真正|再次|算是)?(?:学会|理解|明白|见识|知道|体会|懂得|领教|认识)(?:到)?了?"
          r"(?:什么叫|啥叫|何为|什么是|啥是)|感谢[^。！？!?\n]{0,12}?(?:给我们?上了一课|教会了?我们?一个道理)")
PRAISE = r"(?:是真的|真是|真的是|可真是?|实在是)太?(?:高|快|好|棒|贴心|专业|负责|靠谱|给力|周到|及时|高效|暖心|省心|厉害)"
# Time gone by, then nothing done yet (一个月了，查勘员还在路上; 半年了还没赔).
STILL = (r"(?:\d+|[一二两三四五六七八九十半几多]+)个?(?:天|周|星期|礼拜|月|年|小时)(?:了|过去了)[^。！？!?\n]{0,16}?"
         r"(?:还在|还没|还是没|仍未|仍没|仍在|都没|也没|一直没|一分钱没)"
         # or the same errand over and over (转了八次人工, 催了三回, 打了十几个电话)
         r"|(?:转|打|催|问)了(?:\d+|[二两三四五六七八九十几多][一二三四五六七八九十几多]*)(?:次|遍|回|个电话)")
# Speed promised, then how long it took (加急了一个月; 尽快处理了半年).
HURRIED = (r"(?:加急|尽快|马上)(?:处理|办理)?了(?:整整|足足|快|将近|近)?"
           r"(?:\d+|[一二两三四五六七八九十半几多]+)个?(?:多)?(?:天|周|星期|礼拜|月|年)")
FORMS: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "lesson": (("让我", "感谢"), LESSON, None),
    "praise": (("真", "实在是"), PRAISE, STILL),
    "hurried": (("加急", "尽快", "马上"), HURRIED, None),
}


class Form:
    """One form of sarcasm: its needs words, its cue and what must follow the cue."""

    def __init__(self, needs: tuple[str, ...], pattern: str, then: str | None = None) -> None:
        self.needs = needs
        self.pattern = re.compile(pattern)
        self.then = re.compile(then) if then else None

    def find(self, lowered: str) -> tuple[int, int]:
        if not _any_in(self.needs, lowered):
            return -1, -1
        found = self.pattern.search(lowered)
        if found is None or (self.then is not None and self.then.search(lowered, found.end()) is None):
            return -1, -1
        return found.start(), found.end()


class Sarcasm:
    """The forms of sarcasm told without a complaint word (rules.yaml ``sarcasm``; :data:`FORMS` when absent)."""

    def __init__(self, forms: dict[str, tuple[tuple[str, ...], str, str | None]] | None = None) -> None:
        self.forms = [Form(needs, pattern, then) for needs, pattern, then in (FORMS if forms is None else forms).values()]

    def ironic(self, lowered: str) -> tuple[int, int]:
        """Where the first form's cue found in ``lowered`` is (start, end), or (-1, -1)."""
        for form in self.forms:
            start, end = form.find(lowered)
            if start >= 0:
                return start, end
        return -1, -1


def _any_in(words: tuple[str, ...], text: str) -> bool:
    for w in words:  # noqa: SIM110 -- no generator (mypyc)
        if w in text:
            return True
    return False


DEFAULT = Sarcasm()


def ironic(lowered: str) -> tuple[int, int]:
    """Where the sarcasm's cue is in ``lowered`` (start, end), or (-1, -1), under the default forms."""
    return DEFAULT.ironic(lowered)
