"""Index retention: how long documents stay searchable, per channel (settings.yaml
``index.retention_days``), and the prune that applies it.

``retention_days`` maps a channel (``weibo``) or ``default`` to days. Each
channel named gets its own cutoff; ``default`` covers every channel not named;
without ``default`` the channels not named are kept for ever. Cutoffs are
``now - days`` against the document's effective time (published, else crawled),
so a document published 91 days ago leaves a 90-day channel at the next prune.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.messages import Channel
from pipeline.index.base import Index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PruneStep:
    channels: tuple[Channel, ...]
    days: int
    before: datetime
    count: int = 0  # deleted (or, in a dry run, what would be)


def plan(retention_days: dict[str, int], now: datetime) -> list[PruneStep]:
    """One step per distinct retention: (channels, cutoff); channels in enum order."""
    by_days: dict[int, list[Channel]] = {}
    for channel in Channel:
        days = retention_days.get(channel.value, retention_days.get("default"))
        if days is not None:
            by_days.setdefault(days, []).append(channel)
    return [PruneStep(tuple(chs), days, now - timedelta(days=days)) for days, chs in sorted(by_days.items())]


def prune(index: Index, retention_days: dict[str, int], now: datetime, dry_run: bool = False) -> list[PruneStep]:
    """Apply the retention to ``index`` (or count what it would delete); the steps with their counts."""
    done = []
    for step in plan(retention_days, now):
        n = index.prunable(step.before, step.channels) if dry_run else index.prune(step.before, step.channels)
        done.append(PruneStep(step.channels, step.days, step.before, n))
        if n and not dry_run:
            log.info("index retention: %d document(s) of %s older than %d day(s) pruned", n,
                     ",".join(c.value for c in step.channels), step.days)
    return done
