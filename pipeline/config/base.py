"""Shared pieces of the configuration models: the error, strict models, durations and clock times."""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class ConfigError(ValueError):
    """Invalid configuration; ``str(err)`` lists every problem, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """``30`` / ``"30s"`` / ``"5m"`` / ``"2h"`` / ``"1d"`` to seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h)")
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


# Used by settings (gateways), members (contacts, robots, rota, unit routes)
# and rules (association default routes, timings, limits); see alerting/.

AlertChannel = Literal["sms", "email", "robot"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_ID = r"^[a-z0-9][a-z0-9_.-]*$"


def hhmm_minutes(value: str) -> int:
    """``"08:30"`` → 510 (minutes after local midnight)."""
    m = _HHMM.match(value)
    if not m:
        raise ValueError(f"not a time of day: {value!r} (use HH:MM, e.g. 08:30)")
    return int(m.group(1)) * 60 + int(m.group(2))


def _hhmm(value: str) -> str:
    hhmm_minutes(value)
    return value


def _duration_or_never(value: Any) -> float | None:
    # "never" (or 0) switches a timer off; None means "inherit".
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in {"never", "off"} or value == 0:
        return 0.0
    return parse_duration(value)


def _no_duplicates(values: list[str], where: str, field: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{where}[{i}].{field}: duplicate {v!r}")
        seen.add(v)


def _non_empty_terms(terms: list[str]) -> list[str]:
    for t in terms:
        if not t.strip():
            raise ValueError("empty term (an empty alias would match everything)")
    return terms


def _english_phrases(phrases: list[str]) -> list[str]:
    """Phrases matched on words (sentiment/english.py): each needs a word, and
    ``*`` may only end a word of at least three letters (penalt*)."""
    for p in _non_empty_terms(phrases):
        if not any(c.isalnum() for c in p):
            raise ValueError(f"{p!r} has no word in it")
        for word in re.split(r"[\s\-]+", p):
            if "*" in word and (not word.endswith("*") or word.count("*") > 1 or len(word) < 4):
                raise ValueError(f"{p!r}: '*' may only end a word of at least three letters")
    return phrases
