-- name: count_by_identity_and_status
SELECT count(*) FROM circuit_job WHERE owner = %(identity)s AND status = %(status)s
