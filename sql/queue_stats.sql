-- name: queue_stats
-- One row: job counts by kind, status and target resource (as JSON), the oldest PENDING job's
-- age, and how many PENDING circuit jobs the hold rule keeps back right now. The active queue
-- (PENDING, WAITING) is read along its partial indexes; finished jobs are counted from the
-- counters of migration 0006 (baseline plus the deltas its snapshot did not see), so the cost
-- follows the queue and the number of targets, not the history.
WITH active AS (
    SELECT 'circuit' AS job_kind, status, target_specification, timestamp_submitted, queued
    FROM circuit_job WHERE status = 'PENDING'
    UNION ALL
    SELECT 'circuit', status, target_specification, timestamp_submitted, queued
    FROM circuit_job WHERE status = 'WAITING'
    UNION ALL
    SELECT 'hamiltonian', status, target_specification, timestamp_submitted, false
    FROM hamiltonian_job WHERE status = 'PENDING'
    UNION ALL
    SELECT 'hamiltonian', status, target_specification, timestamp_submitted, false
    FROM hamiltonian_job WHERE status = 'WAITING'
),
finished AS (
    SELECT job_kind, status, target_specification, jobs FROM job_count_baseline
    UNION ALL
    SELECT d.job_kind, d.status, d.target_specification, d.jobs
    FROM job_count_delta AS d, job_count_snapshot AS s
    WHERE NOT pg_visible_in_snapshot(d.xid, s.taken)
    UNION ALL
    -- Only before the baseline exists (an interrupted migration): count the tables.
    SELECT 'circuit', status, target_specification, count(*) FROM circuit_job
    WHERE status NOT IN ('PENDING', 'WAITING') AND NOT EXISTS (SELECT FROM job_count_snapshot)
    GROUP BY status, target_specification
    UNION ALL
    SELECT 'hamiltonian', status, target_specification, count(*) FROM hamiltonian_job
    WHERE status NOT IN ('PENDING', 'WAITING') AND NOT EXISTS (SELECT FROM job_count_snapshot)
    GROUP BY status, target_specification
),
grouped AS (
    SELECT job_kind, status, target_specification, count(*) AS jobs
    FROM active GROUP BY job_kind, status, target_specification
    UNION ALL
    SELECT job_kind, status, target_specification, sum(jobs)
    FROM finished GROUP BY job_kind, status, target_specification
),
placed AS (
    SELECT g.job_kind, g.status, nullif(t.resource_name, '') AS resource, g.jobs
    FROM grouped AS g
    LEFT JOIN target_specification AS t ON t.name = g.target_specification
)
SELECT
    coalesce(
        (SELECT json_agg(c ORDER BY c.job_kind, c.status, c.resource)
         FROM (SELECT job_kind, status, resource, sum(jobs)::bigint AS jobs
               FROM placed GROUP BY job_kind, status, resource
               HAVING sum(jobs) <> 0) AS c),
        '[]'::json
    ) AS counts,
    -- Never negative: a job stamped in a zone ahead of this session's (a writer on another
    -- host, MQP_TIMEZONE unset) has waited no time yet, not less than none.
    -- (NULL when nothing is pending: greatest() alone would make that 0.)
    (SELECT greatest(o.age, interval '0')
     FROM (SELECT (statement_timestamp() AT TIME ZONE %(zone)s::interval)
                  - min(timestamp_submitted) AS age
           FROM active WHERE status = 'PENDING' AND isfinite(timestamp_submitted)) AS o
     WHERE o.age IS NOT NULL)
        AS oldest_pending_age,
    (SELECT count(*)
     FROM active AS a
     JOIN target_maintenance() AS t ON t.name = a.target_specification
     WHERE a.status = 'PENDING'
       AND job_held(a.queued, a.timestamp_submitted, t.in_maintenance,
                    %(max_queuing_time)s::integer, %(zone)s::interval))
        AS held_jobs
