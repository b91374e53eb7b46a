-- 期号 of reports and 事件 documents (console/reports/issues.py), as on SQLite: one row per (scope, kind, key), a
-- number is given once per scope and kind. issue_imports: the scopes whose old issues.json was read in.
CREATE TABLE IF NOT EXISTS issue_numbers (
    scope TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, number INTEGER NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (scope, kind, key), UNIQUE (scope, kind, number)
);
CREATE TABLE IF NOT EXISTS issue_imports (
    scope TEXT PRIMARY KEY, source TEXT NOT NULL, numbers INTEGER NOT NULL, at TEXT NOT NULL
);
