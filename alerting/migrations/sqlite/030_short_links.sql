-- The SMS's short ack links (/a/<code>, alerting.acklinks.ShortLink): the 8-character id names the
-- alert and the recipient, written with the outbox row that carries it, looked up by the console
CREATE TABLE IF NOT EXISTS short_links (
    code TEXT PRIMARY KEY, alert_id TEXT NOT NULL, recipient TEXT NOT NULL, expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS short_links_expiry ON short_links(expires_at);
