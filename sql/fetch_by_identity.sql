-- name: fetch_by_identity
SELECT * FROM circuit_job WHERE owner = %(identity)s ORDER BY id
