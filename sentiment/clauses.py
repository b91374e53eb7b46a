"""Narrowing a sentence to the clauses about one unit (Chinese and English).

A sentence naming several companies is scored for each unit on its own
clauses: those naming the unit, and their neighbours out to the first one
naming another unit or organisation. The languages split clauses their own
way (sentiment/scorer.py, sentiment/english.py); the walk is shared here.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence


def within(sorted_positions: Sequence[int], start: int, end: int) -> bool:
    """Whether any of ``sorted_positions`` is in [start, end)."""
    i = bisect_left(sorted_positions, start)
    return i < len(sorted_positions) and sorted_positions[i] < end


def grow(count: int, mine: Sequence[int], joins: Callable[[int, int], bool]) -> list[int]:
    """The clause indices ``mine`` and, walking forward (step 1) and back
    (step -1) from each, every neighbour ``j`` while ``joins(j, step)``
    allows it; sorted."""
    keep = set(mine)
    for i in mine:
        for step in (1, -1):
            j = i + step
            while 0 <= j < count and j not in keep and joins(j, step):
                keep.add(j)
                j += step
    return sorted(keep)
