-- name: bench_bare_claim
-- The textbook SKIP LOCKED dequeue of %(rows)s jobs on the bare copy: the physical floor of a
-- claim on this machine, with no hold rule, no limit, no event log and no trigger.
WITH taken AS (
    SELECT id FROM bench_bare_job
    WHERE status = 'PENDING'
    ORDER BY timestamp_submitted, id
    LIMIT %(rows)s
    FOR UPDATE SKIP LOCKED
)
UPDATE bench_bare_job AS j
SET status = 'WAITING', timestamp_scheduled = localtimestamp
FROM taken
WHERE j.id = taken.id
RETURNING j.*
