-- name: invalid_index
-- Whether an index of this name exists but is invalid: what an interrupted CREATE INDEX
-- CONCURRENTLY leaves behind, and what IF NOT EXISTS would wrongly take for done.
SELECT EXISTS (
    SELECT FROM pg_index WHERE indexrelid = to_regclass(%(name)s) AND NOT indisvalid
)
