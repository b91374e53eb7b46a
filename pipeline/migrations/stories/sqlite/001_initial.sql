-- The story store as it was before versioned migrations (CREATE … IF NOT EXISTS: older files adopt it).
CREATE TABLE IF NOT EXISTS stories (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_docs (
    doc_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, title_key TEXT NOT NULL, numbers TEXT NOT NULL,
    sketch TEXT NOT NULL, seen_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS story_docs_title ON story_docs (title_key, seen_us);
CREATE TABLE IF NOT EXISTS story_bands (key INTEGER NOT NULL, doc_id TEXT NOT NULL, seen_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS story_bands_key ON story_bands (key, seen_us);
