"""Operational alerts (topic ``ops.alerts``: a source failing or silent, a
channel down) go to the association's duty officers on duty — never to
member units — on ``rules.yaml alerting.ops_channels``.

Deduplicated by ``OpsAlert.id``: the first report notifies, repeats only
update ``last_seen``; ``resolved=True`` for an open problem sends a
"resolved" message once; a problem reported again after it was resolved
opens it again (a new round). Replays change nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime

from alerting.planner import Planner
from alerting.store import AlertStore
from contracts.clock import Clock
from contracts.messages import OpsAlert

log = logging.getLogger(__name__)


class OpsRouter:
    def __init__(self, store: AlertStore, planner: Planner, clock: Clock, channels: list[str]) -> None:
        self.store = store
        self.planner = planner
        self.clock = clock
        self.channels = channels

    def handle(self, ops: OpsAlert) -> tuple[str, list[str]]:
        """Returns (decision, queued notification ids)."""
        now = self.clock.now()
        aid = f"ops:{ops.id}"
        with self.store.transaction() as db:
            row = self.store.get_ops(db, ops.id)
            state, opened = (row["state"], row["opened"]) if row else (None, 0)
            if ops.resolved:
                if state != "open":
                    decision = "RESOLVED_UNKNOWN" if state is None else "ALREADY_RESOLVED"
                    queued: list[str] = []
                else:
                    decision = "RESOLVED"
                    queued = self.planner.queue(db, self.planner.for_ops(ops, opened, self.channels, now), now)
                new_state = "resolved" if state else None
            elif state == "open":
                decision, queued, new_state = "ALREADY_OPEN", [], "open"
            else:
                opened += 1
                decision = "OPENED" if opened == 1 else "REOPENED"
                queued = self.planner.queue(db, self.planner.for_ops(ops, opened, self.channels, now), now)
                new_state = "open"
            if new_state:
                first = datetime.fromisoformat(row["first_seen"]) if row else ops.first_seen
                self.store.put_ops(db, ops.id, new_state, opened, first, ops.last_seen, ops.model_dump_json())
            self.store.audit(db, aid, None, "ops.routed", now, decision=decision, problem=ops.problem,
                             subject=ops.subject, severity=ops.severity.value, queued=queued)
        log.info("ops alert %s (%s %s): %s, %d message(s)", ops.id, ops.problem, ops.subject, decision, len(queued))
        return decision, queued

