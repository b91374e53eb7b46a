"""How much a document is about a unit, in [0, 1].

Relevance does not change negativity; it gates levels (levels.py): a red
alert should be about the unit, not a passing mention.

    base      0.8 the full name or a branch alias (…吉林分公司) matched
              0.5 only the brand (中国人寿: head office or any branch)
    + 0.2     named in the title
    + 0.1     a brand-only mention in a document with a region word (吉林, 长春…)
    + 0.1     three or more mentions
    + 0.2     one of the unit's monitoring schemes matched
    - 0.2     the document names four or more units (a list, a ranking)

clipped to [0, 1]. The numbers are judgement, checked on the gold set
(tests/eval): they order typical cases, they are not probabilities.
"""
from __future__ import annotations

SPECIFIC, BRAND = 0.8, 0.5
IN_TITLE, REGION, REPEATED, SCHEME, CROWDED = 0.2, 0.1, 0.1, 0.2, -0.2


def relevance(*, specific: bool, in_title: bool, mentions: int, region_in_text: bool,
              scheme_matched: bool, units_in_doc: int) -> float:
    value = SPECIFIC if specific else BRAND
    if in_title:
        value += IN_TITLE
    if region_in_text and not specific:
        value += REGION
    if mentions >= 3:
        value += REPEATED
    if scheme_matched:
        value += SCHEME
    if units_in_doc >= 4:
        value += CROWDED
    # A sum of the constants above: a few dozen values, each rounded once.
    rounded = _ROUNDED.get(value)
    if rounded is None:
        rounded = _ROUNDED[value] = round(max(0.0, min(1.0, value)), 2)
    return rounded


_ROUNDED: dict[float, float] = {}
