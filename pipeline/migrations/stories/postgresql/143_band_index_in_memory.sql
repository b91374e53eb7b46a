-- Band rows are no longer written: each scorer keeps a band index in memory (pipeline/story_index.py), built
-- from the stored documents' sketches and brought up to date at each batch from the rows added since (seq: the
-- order documents were stored in) and the prunes made since (story_prunes: a prune dropped the bands of the
-- documents stored up to upto_seq seen before before_us). banded: 1 while a document's bands count (it has
-- bands and no prune has dropped them), as its rows in story_bands did (the rows there now say which).
ALTER TABLE story_docs ADD COLUMN seq BIGINT;
ALTER TABLE story_docs ADD COLUMN banded SMALLINT;
UPDATE story_docs AS d SET seq = o.n
    FROM (SELECT doc_id, row_number() OVER (ORDER BY seen_us, doc_id) AS n FROM story_docs) AS o WHERE o.doc_id = d.doc_id;
UPDATE story_docs SET banded = 1 WHERE doc_id IN (SELECT doc_id FROM story_bands);
CREATE UNIQUE INDEX story_docs_seq ON story_docs (seq);
CREATE INDEX story_docs_banded ON story_docs (seen_us) WHERE banded = 1;
CREATE TABLE story_prunes (id BIGINT PRIMARY KEY, upto_seq BIGINT NOT NULL, before_us BIGINT NOT NULL);
DROP TABLE story_bands;
