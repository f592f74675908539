-- name: count_by_identity
-- %(status)s is NULL for every status.
SELECT count(*) FROM circuit_job
WHERE owner = %(identity)s AND (%(status)s::text IS NULL OR status = %(status)s)
