-- The title lookup takes the earliest document under a title within the window, ties by document id, read from
-- the index in that order on both engines (before: LIMIT 1 without ORDER BY, which PostgreSQL need not answer as
-- SQLite did).
CREATE INDEX IF NOT EXISTS story_docs_title_doc ON story_docs (title_key, seen_us, doc_id);
DROP INDEX IF EXISTS story_docs_title;
