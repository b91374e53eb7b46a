-- Band rows in one b-tree keyed as the candidate query reads them (key, then newest first, then the
-- document), WITHOUT ROWID: each row is written once instead of into a table and a covering index
-- holding the same three columns. Rows copied as they are, except that two equal keys of one document
-- (a CRC-32 collision between two of its bands, about one document in 36 million) are one row.
CREATE TABLE story_bands_080 (key INTEGER NOT NULL, doc_id TEXT NOT NULL, seen_us INTEGER NOT NULL,
    PRIMARY KEY (key, seen_us, doc_id)) WITHOUT ROWID;
INSERT OR IGNORE INTO story_bands_080 (key, doc_id, seen_us) SELECT key, doc_id, seen_us FROM story_bands;
DROP TABLE story_bands;
ALTER TABLE story_bands_080 RENAME TO story_bands;
