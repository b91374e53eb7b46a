"""Topic names: the arrows between processes (see DESIGN.md).

Alerts are not a topic: the router writes them to the alert store (with the
outbox and timers, in one transaction), and the notifier, escalator and
console read them there; a topic nobody consumed was dropped.
"""

DOCS_RAW = "docs.raw"
DOCS_SCORED = "docs.scored"
DEAD_LETTER = "dead.letter"
OPS_ALERTS = "ops.alerts"
