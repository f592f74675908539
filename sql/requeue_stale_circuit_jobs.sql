-- name: requeue_stale_circuit_jobs
-- Jobs WAITING for longer than %(older_than)s lost their runner: back in line, keeping their
-- submission time so they are claimed first. Lowering a group's WAITING count needs no group
-- lock: a claimer that counted the job still WAITING only moved fewer jobs than it could have.
-- SKIP LOCKED leaves a job that a runner is completing right now to that runner. 'WAITING' is
-- written out, not passed, so that the plan reads the partial WAITING index; a test checks it
-- against the requeue's from-status in mqp_jobs.states.
WITH stale AS (
    SELECT id FROM circuit_job
    WHERE status = 'WAITING' AND timestamp_scheduled < (statement_timestamp() AT TIME ZONE %(zone)s::interval) - %(older_than)s::interval
    FOR UPDATE SKIP LOCKED
)
UPDATE circuit_job AS j
SET status = %(to_status)s, timestamp_scheduled = NULL, note = %(note)s
FROM stale
WHERE j.id = stale.id
RETURNING j.id
