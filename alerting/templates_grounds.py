"""The 定级依据 of an alert in plain words, for the people who read the e-mail.

The level's explanation (``Alert.level_reason``) comes from the scorer's level
policy (sentiment/levels.py ``LevelPolicy.assess``) and, when a story's level
rises, from the router ("预警等级由橙色升至红色：…"). It names the values and
minimums that decided it (负面指数 0.98，相关度 1.00…：达到橙色（负面≥0.90…）) —
what a duty officer tuning rules.yaml needs, not what a publicity lead reading
the e-mail on a phone at night can act on. ``plain_grounds`` says the same in
words: who carried the item, how far it spread, what it is about, how negative
it reads. It reads the explanation's text and the alert; it does not change
how the level is found. A reason that is not the policy's (a person's 人工预警
with their note) is already in words and is shown as written.
"""
from __future__ import annotations

import re

from contracts.messages import CHANNEL_LABELS, Alert

# sentiment/spread.py AUTHORITY_LABELS as they appear in a spread term ("主流媒体 +2"), in words.
AUTHORITY_WORDS = {"监管部门": "监管部门发布或关注", "中央媒体": "中央权威媒体报道", "主流媒体": "主流媒体报道",
                   "大V账号": "网络大V转发"}
_NUMBERS = re.compile(r"负面指数 (?P<neg>[\d.]+)，相关度 (?P<rel>[\d.]+)，来源权重 [\d.]+")
_AUTHORITY = re.compile(r"(" + "|".join(AUTHORITY_WORDS) + r") \+\d+")
_INTERACTIONS = re.compile(r"互动量 (\d+)")
_BURST = re.compile(r"短时新增 (\d+) 篇")
_BOUND = re.compile(r"风险类型（([^）]*)）的等级(上限|下限)：(\S{2})")
_OWN = re.compile(r"为该单位自身的回应/澄清，最高(\S{2})")


def is_policy_reason(reason: str) -> bool:
    """Whether ``reason`` is the level policy's explanation (values and minimums), not a person's words."""
    return _NUMBERS.search(reason) is not None


def negativity_words(negativity: float) -> str:
    return "负面倾向明显" if negativity >= 0.9 else "负面倾向较明显" if negativity >= 0.75 else "有负面倾向"


def plain_grounds(alert: Alert, risk_types: list[str] | tuple[str, ...] = ()) -> str:
    """Why the alert has its level, in plain Chinese (主流媒体报道，多家媒体转载（共3篇），涉及理赔纠纷，负面倾向明显).

    ``risk_types``: the risk types of the alert's reasons (the brief's). Empty when the alert has no reason."""
    reason = alert.level_reason
    found = _NUMBERS.search(reason)
    if found is None:
        return reason
    prefix = reason[:found.start()].rstrip("：:；; ")  # the router's 预警等级由橙色升至红色
    parts: list[str] = []
    authority = _AUTHORITY.search(reason)
    if authority:
        parts.append(AUTHORITY_WORDS[authority.group(1)])
    if len(alert.sites) >= 2:  # the counts are in the e-mail's 传播情况 line
        parts.append("多家媒体或网站转载")
    elif alert.doc_count >= 2:
        parts.append("同一来源多次发布")
    if len(alert.channels) >= 2:
        parts.append(f"已扩散到{'、'.join(CHANNEL_LABELS.get(c, str(c)) for c in alert.channels)}")
    burst = _BURST.search(reason)
    if burst:
        parts.append(f"短时间内集中出现（{burst.group(1)}篇）")
    interactions = [int(n) for n in _INTERACTIONS.findall(reason)]
    if interactions:
        parts.append(f"网上互动多（转发、评论、点赞约{max(interactions)}次）")
    if risk_types:
        parts.append(f"涉及{'、'.join(risk_types)}")
    parts.append(negativity_words(max(float(found.group("neg")), alert.negativity)))
    if float(found.group("rel")) < 0.5:
        parts.append("但仅顺带提及该单位")
    bound = _BOUND.search(reason)
    if bound:
        kinds, side, level = bound.groups()
        parts.append(f"{kinds}类事件按规定至少定为{level}" if side == "下限" else f"{kinds}类事件最高定为{level}")
    own = _OWN.search(reason)
    if own:
        parts.append(f"为该单位自身的回应或澄清，最高定为{own.group(1)}")
    words = "，".join(parts)
    return f"{prefix}：{words}" if prefix else words
