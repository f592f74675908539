-- name: get_circuit_jobs
SELECT * FROM circuit_job WHERE id = ANY (%(job_ids)s::bigint[]) ORDER BY id
