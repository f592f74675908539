-- name: max_waiting_in_a_group
-- The most circuit jobs WAITING at once in one (owner, target) group: the active-job limit
-- says this never exceeds MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE. Uses the WAITING index.
SELECT coalesce(max(jobs), 0)
FROM (
    SELECT count(*) AS jobs
    FROM circuit_job
    WHERE status = 'WAITING'
    GROUP BY owner, target_specification
) AS groups
