-- Document ids compare in byte order (COLLATE "C"), as on SQLite, whatever the database's collation: a title's
-- earliest document and a band's most recent ones are ordered by time, then by document id, and the store merges
-- them with its batch's own documents in Python's order (code points: UTF-8's byte order). Under a language
-- collation (en_US.UTF-8, ICU) ties in time between ids such as "d-é" and "d-z" went the other way.
ALTER TABLE story_docs ALTER COLUMN doc_id TYPE TEXT COLLATE "C";
ALTER TABLE story_bands ALTER COLUMN doc_id TYPE TEXT COLLATE "C";
