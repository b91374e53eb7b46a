-- The alert store as it was before versioned migrations (CREATE … IF NOT EXISTS: older files adopt it).
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, story_id TEXT NOT NULL, unit_id TEXT NOT NULL,
    level TEXT NOT NULL, status TEXT NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL, doc_count INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_unit ON alerts(unit_id, last_seen);
CREATE TABLE IF NOT EXISTS alert_docs (
    alert_id TEXT NOT NULL, doc_id TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, doc_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, channel TEXT NOT NULL,
    recipient TEXT NOT NULL, step INTEGER NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
    payload TEXT NOT NULL, provider_id TEXT, last_error TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT, unit_id TEXT,
    at TEXT NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id, seq);
CREATE TABLE IF NOT EXISTS alert_state (
    alert_id TEXT PRIMARY KEY, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS timers (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_due ON timers(state, due_at);
CREATE TABLE IF NOT EXISTS sends (
    channel TEXT NOT NULL, recipient TEXT NOT NULL, at TEXT NOT NULL, provider_id TEXT, messages INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sends_key ON sends(channel, recipient, at);
CREATE TABLE IF NOT EXISTS ops_alerts (
    id TEXT PRIMARY KEY, state TEXT NOT NULL, opened INTEGER NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL, body TEXT NOT NULL
);
