-- name: queue_stats
-- One row: job counts by kind, status and target resource (as JSON), the oldest PENDING job's
-- age, and how many PENDING circuit jobs the hold rule keeps back right now.
WITH jobs AS (
    SELECT 'circuit' AS job_kind, status, target_specification, timestamp_submitted, queued
    FROM circuit_job
    UNION ALL
    SELECT 'hamiltonian', status, target_specification, timestamp_submitted, false
    FROM hamiltonian_job
),
placed AS (
    SELECT jobs.*, nullif(t.resource_name, '') AS resource_name,
           coalesce(r.maintenance, false) AS in_maintenance
    FROM jobs
    LEFT JOIN target_specification AS t ON t.name = jobs.target_specification
    LEFT JOIN resource AS r ON r.name = t.resource_name
)
SELECT
    coalesce(
        (SELECT json_agg(c ORDER BY c.job_kind, c.status, c.resource)
         FROM (SELECT job_kind, status, resource_name AS resource, count(*) AS jobs
               FROM placed GROUP BY job_kind, status, resource_name) AS c),
        '[]'::json
    ) AS counts,
    (SELECT (statement_timestamp() AT TIME ZONE %(zone)s::interval) - min(timestamp_submitted) FROM placed WHERE status = 'PENDING')
        AS oldest_pending_age,
    (SELECT count(*) FROM placed
     WHERE status = 'PENDING' AND queued AND in_maintenance
       AND timestamp_submitted > (statement_timestamp() AT TIME ZONE %(zone)s::interval) - make_interval(secs => %(max_queuing_time)s))
        AS held_jobs
