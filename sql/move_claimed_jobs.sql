-- name: move_claimed_jobs
-- Second statement of a circuit claim, run while the claim holds the group locks taken by its
-- first (lock_claim_line, lock_claim_groups or lock_claim_jobs). Its snapshot is newer than
-- those locks, so it sees every WAITING job that another claimer committed for these groups;
-- no claimer can add one until this transaction ends. Moves the picked jobs still PENDING
-- that the limit allows, and returns them oldest first.
--
-- Each job is read by its primary key alone, in a subquery that OFFSET 0 keeps the planner
-- from merging with the checks around it. Merged, and with statistics that lagged a burst of
-- submissions (so that the pending indexes looked small), the planner walked a target's whole
-- pending index for every job instead: 630 ms for a 100-job claim.
WITH given AS (
    SELECT *
    FROM unnest(%(job_ids)s::bigint[], %(owners)s::text[], %(targets)s::text[])
        AS g (id, owner, target_specification)
),
unchanged AS (
    -- The picked jobs still PENDING in the group they were picked under, as this statement's
    -- snapshot has them. A job whose owner or target changed since the first statement is in a
    -- group this claim did not lock. The hold rule is applied again, in case maintenance began
    -- since the first statement.
    SELECT c.id, c.owner, c.target_specification, c.queued, c.timestamp_submitted
    FROM given AS g
    CROSS JOIN LATERAL (
        SELECT c.* FROM circuit_job AS c WHERE c.id = g.id OFFSET 0
    ) AS c
    WHERE c.owner = g.owner
      AND c.target_specification = g.target_specification
      AND c.status = 'PENDING'
      AND NOT job_held(
          c.queued,
          c.timestamp_submitted,
          (SELECT t.in_maintenance
           FROM target_maintenance() AS t
           WHERE t.name = c.target_specification),
          %(max_queuing_time)s::integer,
          %(zone)s::interval
      )
),
admitted AS (
    -- Of those, what the limit allows: a job's place in its group's line among them, plus the
    -- group's WAITING jobs, counted per job along the WAITING index (a few rows each), so that
    -- the cost stays proportional to the jobs picked whatever plan the row estimates lead to.
    -- This snapshot is newer than the group locks, so the count is every WAITING job there is.
    SELECT p.id, p.owner, p.target_specification, p.queued, p.timestamp_submitted
    FROM (
        SELECT u.*,
               row_number() OVER (
                   PARTITION BY u.owner, u.target_specification
                   ORDER BY u.timestamp_submitted, u.id
               ) AS place
        FROM unchanged AS u
    ) AS p
    CROSS JOIN LATERAL (
        SELECT count(*) AS jobs
        FROM circuit_job AS w
        WHERE w.status = 'WAITING'
          AND w.owner = p.owner
          AND w.target_specification = p.target_specification
    ) AS w
    WHERE within_active_job_limit(p.place, w.jobs, %(max_active)s::integer)
),
picked AS (
    -- Lock them, and only them: a job dropped above (changed since the first statement, held,
    -- or over the limit) is never locked, so that a claim in a caller's long transaction does
    -- not keep it from its new group's claimer or from a cancel. FOR UPDATE reads the newest
    -- version of a job changed after this statement's snapshot (say, cancelled); it goes on
    -- only if it still has every value the checks above read (the hold rule's maintenance
    -- flags come from this statement's snapshot either way), else it is dropped and PostgreSQL
    -- keeps its lock until the transaction ends. SKIP LOCKED passes over a job that a cancel
    -- is changing right now. Skipping or dropping a job here only moves fewer jobs, never more
    -- than the limit allowed above.
    SELECT j.id
    FROM admitted AS a
    CROSS JOIN LATERAL (
        SELECT j.* FROM circuit_job AS j WHERE j.id = a.id OFFSET 0 FOR UPDATE SKIP LOCKED
    ) AS j
    WHERE (j.status, j.owner, j.target_specification, j.queued, j.timestamp_submitted)
          IS NOT DISTINCT FROM
          ('PENDING', a.owner, a.target_specification, a.queued, a.timestamp_submitted)
),
moved AS (
    UPDATE circuit_job AS j
    SET status = 'WAITING', attempt = j.attempt + 1, timestamp_scheduled = (statement_timestamp() AT TIME ZONE %(zone)s::interval)
    FROM picked AS p
    WHERE j.id = p.id
    RETURNING j.*
)
SELECT moved.*, t.resource_name AS target_resource_name,
       (SELECT min(u.id) FROM token_usage AS u WHERE u.job = moved.id) AS token_usage
FROM moved LEFT JOIN target_specification AS t ON t.name = moved.target_specification
ORDER BY moved.timestamp_submitted, moved.id
