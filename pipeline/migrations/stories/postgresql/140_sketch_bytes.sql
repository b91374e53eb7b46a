-- A document's sketch as 32 eight-byte big-endian integers (int8send's bytes) instead of its JSON text: cheaper to
-- write and read, and 256 bytes instead of ~380. Rows written before are converted here. (SQLite needs no
-- migration: its TEXT column keeps a BLOB as it is, and the store reads rows of either kind.)
CREATE FUNCTION pg_temp.story_sketch_bytes(sketch TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(int8send(v::BIGINT), ''::BYTEA ORDER BY n), ''::BYTEA)
    FROM json_array_elements_text(sketch::json) WITH ORDINALITY AS e(v, n)
$$;
ALTER TABLE story_docs ALTER COLUMN sketch TYPE BYTEA USING pg_temp.story_sketch_bytes(sketch);
