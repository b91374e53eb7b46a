-- Console users, login failures and sessions (console/users.py). IF NOT EXISTS: a console.db
-- from before versioned migrations already has these tables and adopts this version.
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, unit_id TEXT,
    password TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (username TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_by_user ON login_failures (username, at);
CREATE TABLE IF NOT EXISTS client_failures (client TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS client_failures_by_client ON client_failures (client, at);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, last_seen TEXT NOT NULL
);
