-- name: move_claimed_jobs
-- Second statement of a circuit claim, run while the claim holds the group locks taken by
-- lock_claim_groups. Its snapshot is newer than those locks, so it sees every WAITING job that
-- another claimer committed for these groups; no claimer can add one until this transaction
-- ends. Moves the picked jobs still PENDING that the limit allows, and returns them oldest
-- first.
WITH picked AS (
    -- FOR UPDATE re-reads a job changed since the snapshot (say, cancelled) and drops it if it
    -- is no longer PENDING; SKIP LOCKED passes over one that a cancel is changing right now.
    -- The hold rule is applied again, in case maintenance began since the first statement.
    SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
    FROM circuit_job AS j
    WHERE j.id = ANY (%(job_ids)s::bigint[])
      AND j.status = 'PENDING'
      AND NOT (
          j.queued
          AND j.timestamp_submitted > (statement_timestamp() AT TIME ZONE %(zone)s) - make_interval(secs => %(max_queuing_time)s)
          AND EXISTS (
              SELECT FROM target_specification AS t
              JOIN resource AS r ON r.name = t.resource_name
              WHERE t.name = j.target_specification AND r.maintenance
          )
      )
    FOR UPDATE OF j SKIP LOCKED
),
waiting AS (
    SELECT w.owner, w.target_specification, count(*) AS jobs
    FROM circuit_job AS w
    JOIN (SELECT DISTINCT owner, target_specification FROM picked) AS g
      USING (owner, target_specification)
    WHERE w.status = 'WAITING'
    GROUP BY w.owner, w.target_specification
),
admitted AS (
    SELECT p.id
    FROM (
        SELECT picked.*,
               row_number() OVER (
                   PARTITION BY owner, target_specification
                   ORDER BY timestamp_submitted, id
               ) AS place
        FROM picked
    ) AS p
    LEFT JOIN waiting AS w USING (owner, target_specification)
    WHERE p.place + coalesce(w.jobs, 0) <= %(max_active)s
),
moved AS (
    UPDATE circuit_job AS j
    SET status = 'WAITING', timestamp_scheduled = (statement_timestamp() AT TIME ZONE %(zone)s)
    FROM admitted AS a
    WHERE j.id = a.id
    RETURNING j.*
)
SELECT moved.*, t.resource_name AS target_resource_name
FROM moved LEFT JOIN target_specification AS t ON t.name = moved.target_specification
ORDER BY moved.timestamp_submitted, moved.id
