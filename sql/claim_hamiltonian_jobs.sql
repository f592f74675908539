-- name: claim_hamiltonian_jobs
-- Hamiltonian jobs have no hold rule and no limit: take the oldest PENDING ones that no other
-- claimer holds, move them, and return them oldest first.
WITH taken AS (
    SELECT id
    FROM hamiltonian_job
    WHERE status = 'PENDING'
    ORDER BY timestamp_submitted, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
moved AS (
    UPDATE hamiltonian_job AS h
    SET status = 'WAITING', attempt = h.attempt + 1, timestamp_scheduled = (statement_timestamp() AT TIME ZONE %(zone)s::interval)
    FROM taken
    WHERE h.id = taken.id
    RETURNING h.*
)
SELECT moved.*, t.resource_name AS target_resource_name
FROM moved LEFT JOIN target_specification AS t ON t.name = moved.target_specification
ORDER BY moved.timestamp_submitted, moved.id
