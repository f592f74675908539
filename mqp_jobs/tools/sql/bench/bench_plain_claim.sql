-- name: bench_plain_claim
-- The reference a claim is measured against: the textbook SKIP LOCKED dequeue of %(rows)s
-- jobs, with no hold rule, no active-job limit and no filter.
WITH taken AS (
    SELECT id FROM circuit_job
    WHERE status = 'PENDING'
    ORDER BY timestamp_submitted, id
    LIMIT %(rows)s
    FOR UPDATE SKIP LOCKED
)
UPDATE circuit_job AS j
SET status = 'WAITING', timestamp_scheduled = localtimestamp
FROM taken
WHERE j.id = taken.id
RETURNING j.*
