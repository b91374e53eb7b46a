-- forward: review (issue 14): an alert whose unit messages wait in the outbox (state 'held') until a
-- duty officer forwards them, or the review timer does. One row per such alert.
CREATE TABLE IF NOT EXISTS reviews (
    alert_id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, state TEXT NOT NULL,
    held_at TEXT NOT NULL, due_at TEXT NOT NULL, forwarded_at TEXT, forwarded_by TEXT, via TEXT,
    notes TEXT NOT NULL DEFAULT '', advice TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS reviews_state ON reviews(state, due_at);
