-- name: drop_invalid_index
DROP INDEX CONCURRENTLY IF EXISTS {index}
