-- Outbox columns added after the walking skeleton (who, round, kind) and for leases (issue 12):
-- a file that already has a column skips its ADD COLUMN.
ALTER TABLE outbox ADD COLUMN who TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'alert';
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE INDEX IF NOT EXISTS outbox_provider ON outbox(provider_id);
CREATE INDEX IF NOT EXISTS outbox_alert ON outbox(alert_id, who, round);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_story_unit ON alerts(story_id, unit_id);
