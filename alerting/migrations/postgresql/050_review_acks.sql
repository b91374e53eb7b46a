-- 确认收到 while an alert awaits review (待复核): who received it, when and how. It is not the unit's
-- acknowledgement (the alert's status stays unacknowledged until the unit's own ack after forwarding).
ALTER TABLE reviews ADD COLUMN acked_at TEXT;
ALTER TABLE reviews ADD COLUMN acked_by TEXT;
ALTER TABLE reviews ADD COLUMN acked_via TEXT;
