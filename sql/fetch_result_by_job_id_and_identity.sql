-- name: fetch_result_by_job_id_and_identity
-- The owner test is part of the lookup, so another user's job is simply not found.
SELECT * FROM circuit_job WHERE id = %(job_id)s AND owner = %(identity)s
