-- The alert store on PostgreSQL: the same tables as on SQLite; times are UTC ISO-8601 text, as there.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY, story_id TEXT NOT NULL, unit_id TEXT NOT NULL,
    level TEXT NOT NULL, status TEXT NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL, doc_count INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX alerts_unit ON alerts(unit_id, last_seen);
CREATE TABLE alert_docs (
    alert_id TEXT NOT NULL, doc_id TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, doc_id)
);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, channel TEXT NOT NULL,
    recipient TEXT NOT NULL, step INTEGER NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
    payload TEXT NOT NULL, provider_id TEXT, last_error TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '', round INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'alert',
    lease_owner TEXT, lease_until TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, alert_id TEXT, unit_id TEXT,
    at TEXT NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX audit_alert ON audit(alert_id, seq);

CREATE TABLE alert_state (
    alert_id TEXT PRIMARY KEY, body TEXT NOT NULL
);
CREATE TABLE timers (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL
);
CREATE INDEX timers_due ON timers(state, due_at);
CREATE TABLE sends (
    channel TEXT NOT NULL, recipient TEXT NOT NULL, at TEXT NOT NULL, provider_id TEXT, messages INTEGER NOT NULL
);
CREATE INDEX sends_key ON sends(channel, recipient, at);
CREATE TABLE ops_alerts (
    id TEXT PRIMARY KEY, state TEXT NOT NULL, opened INTEGER NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX outbox_provider ON outbox(provider_id);
CREATE INDEX outbox_alert ON outbox(alert_id, who, round);
-- An alert's id is derived from (story, unit); the constraint says so to anyone writing here.
CREATE UNIQUE INDEX alerts_story_unit ON alerts(story_id, unit_id);
