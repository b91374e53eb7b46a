-- The casebook (console/casebook.py): assignments, handling notes, false alarms. IF NOT EXISTS:
-- a console.db from before versioned migrations already has these tables and adopts this version.
CREATE TABLE IF NOT EXISTS assignments (
    alert_id TEXT PRIMARY KEY, unit_id TEXT, assignee TEXT NOT NULL, assigned_by TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, unit_id TEXT, kind TEXT NOT NULL,
    author TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_alert ON notes(alert_id, id);
CREATE TABLE IF NOT EXISTS false_alarms (
    alert_id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, story_id TEXT NOT NULL, level TEXT NOT NULL,
    negativity REAL NOT NULL, title TEXT NOT NULL, doc_ids TEXT NOT NULL, phrases TEXT NOT NULL,
    reason TEXT NOT NULL, marked_by TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS missed (
    alert_id TEXT NOT NULL, doc_id TEXT NOT NULL, unit_id TEXT NOT NULL, level TEXT NOT NULL, title TEXT NOT NULL,
    url TEXT NOT NULL, text TEXT NOT NULL, reason TEXT NOT NULL, raised_by TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (doc_id, unit_id)
);
