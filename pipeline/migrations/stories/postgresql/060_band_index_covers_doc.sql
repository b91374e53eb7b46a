-- Candidates are read from the band index alone (key, then newest first, then the document): no table lookups.
CREATE INDEX IF NOT EXISTS story_bands_key_doc ON story_bands (key, seen_us, doc_id);
DROP INDEX IF EXISTS story_bands_key;
