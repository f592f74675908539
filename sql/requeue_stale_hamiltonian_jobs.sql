-- name: requeue_stale_hamiltonian_jobs
-- As requeue_stale_circuit_jobs, for Hamiltonian jobs.
WITH stale AS (
    SELECT id FROM hamiltonian_job
    WHERE status = 'WAITING' AND timestamp_scheduled < (statement_timestamp() AT TIME ZONE %(zone)s::interval) - %(older_than)s::interval
    FOR UPDATE SKIP LOCKED
)
UPDATE hamiltonian_job AS h
SET status = %(to_status)s, timestamp_scheduled = NULL, note = %(note)s
FROM stale
WHERE h.id = stale.id
RETURNING h.id
