-- The story store on PostgreSQL: as on SQLite; band keys are unsigned 32-bit CRCs and times microseconds (BIGINT).
CREATE TABLE stories (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE story_docs (
    doc_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, title_key TEXT NOT NULL, numbers TEXT NOT NULL,
    sketch TEXT NOT NULL, seen_us BIGINT NOT NULL);
CREATE INDEX story_docs_title ON story_docs (title_key, seen_us);
CREATE TABLE story_bands (key BIGINT NOT NULL, doc_id TEXT NOT NULL, seen_us BIGINT NOT NULL);
CREATE INDEX story_bands_key ON story_bands (key, seen_us);
