-- name: get_circuit_job
SELECT * FROM circuit_job WHERE id = %(job_id)s
