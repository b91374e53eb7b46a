"""Levels 红/橙/黄/蓝 from negativity thresholds in rules.yaml."""
from __future__ import annotations

from collections.abc import Iterable

from pipeline.messages import Level


class LevelPolicy:
    def __init__(self, thresholds: Iterable[tuple[Level, float]], alert_threshold: float) -> None:
        # Most demanding threshold first.
        self._thresholds = sorted(thresholds, key=lambda t: -t[1])
        self.alert_threshold = alert_threshold

    def level_for(self, negativity: float) -> Level | None:
        if negativity < self.alert_threshold:
            return None
        for level, minimum in self._thresholds:
            if negativity >= minimum:
                return level
        return None
