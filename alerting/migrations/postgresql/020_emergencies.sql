-- 应急响应 (issue 14 item 5): an alert raised to an 事件. One per alert, the body (JSON) holds
-- the people, the checklist, the 续报 sent and the 复盘 notes, its timeline is the alert's audit trail
CREATE TABLE emergencies (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, unit_id TEXT NOT NULL, status TEXT NOT NULL,
    opened_at TEXT NOT NULL, closed_at TEXT, updated_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE UNIQUE INDEX emergencies_alert ON emergencies(alert_id);
CREATE INDEX emergencies_status ON emergencies(status, opened_at);
