"""Topic names: the arrows between processes (see DESIGN.md)."""

DOCS_RAW = "docs.raw"
DOCS_SCORED = "docs.scored"
ALERTS = "alerts"
DEAD_LETTER = "dead.letter"
OPS_ALERTS = "ops.alerts"
