-- name: lock_claim_groups
-- First statement of a circuit claim: pick the jobs the claim may move and lock their
-- (owner, target) groups. Returns one row: the picked job ids, oldest first, and whether the
-- candidate window was full.
--
-- The WAITING counts read here come from this statement's snapshot and may be stale; the
-- claim's second statement (move_claimed_jobs) counts again under the group locks taken here,
-- with a snapshot taken after they were granted, and moves only what the limit still allows.
WITH candidate AS (
    -- PENDING jobs that the caller's filter admits and the hold rule lets go, oldest first,
    -- read along the pending index. A target with no resource, or naming a resource without
    -- a row, is not in maintenance. With a claim limit the scan stops after %(window)s such
    -- jobs: a prefix of the line, so every job in it also has all of its group's older jobs in
    -- it and its place below is exact. The caller widens the window if it was too narrow.
    SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
    FROM circuit_job AS j
    LEFT JOIN LATERAL (
        SELECT t.resource_name, coalesce(r.maintenance, false) AS in_maintenance
        FROM target_specification AS t
        LEFT JOIN resource AS r ON r.name = t.resource_name
        WHERE t.name = j.target_specification
    ) AS target ON true
    WHERE j.status = 'PENDING'
      AND (%(job_ids)s::bigint[] IS NULL OR j.id = ANY (%(job_ids)s::bigint[]))
      AND NOT (
          j.queued
          AND coalesce(target.in_maintenance, false)
          AND j.timestamp_submitted > (statement_timestamp() AT TIME ZONE %(zone)s::interval) - make_interval(secs => %(max_queuing_time)s)
      )
      AND (%(owners)s::text[] IS NULL OR j.owner = ANY (%(owners)s::text[]))
      AND (%(excluded_owners)s::text[] IS NULL OR j.owner <> ALL (%(excluded_owners)s::text[]))
      AND (%(resource)s::text IS NULL OR target.resource_name = %(resource)s::text)
      AND (
          %(excluded_resources)s::text[] IS NULL
          OR target.resource_name IS NULL
          OR target.resource_name <> ALL (%(excluded_resources)s::text[])
      )
      AND (
          %(reserved_resource)s::text IS NULL
          OR target.resource_name IS DISTINCT FROM %(reserved_resource)s::text
          OR j.owner = ANY (%(reserved_for)s::text[])
      )
    ORDER BY j.timestamp_submitted, j.id
    LIMIT %(window)s
),
placed AS (
    -- A job's place in its group's line: the first may go if one slot is free, and so on.
    SELECT c.*,
           row_number() OVER (
               PARTITION BY c.owner, c.target_specification
               ORDER BY c.timestamp_submitted, c.id
           ) AS place
    FROM candidate AS c
),
waiting AS (
    -- WAITING jobs of the candidates' groups only, counted along the WAITING index: a claim
    -- reads the WAITING jobs of the groups it looks at, not those of every group.
    SELECT g.owner, g.target_specification, w.jobs
    FROM (SELECT DISTINCT c.owner, c.target_specification FROM candidate AS c) AS g
    CROSS JOIN LATERAL (
        SELECT count(*) AS jobs
        FROM circuit_job AS w
        WHERE w.status = 'WAITING'
          AND w.owner = g.owner
          AND w.target_specification = g.target_specification
    ) AS w
),
eligible AS (
    SELECT p.id, p.owner, p.target_specification, p.timestamp_submitted, p.place
    FROM placed AS p
    LEFT JOIN waiting AS w USING (owner, target_specification)
    WHERE p.place + coalesce(w.jobs, 0) <= %(max_active)s
),
locked AS (
    -- Groups in FIFO order of their oldest eligible job. SKIP LOCKED passes over groups another
    -- claimer holds; LIMIT stops taking locks once enough groups are held, so a claim with a
    -- small limit leaves the rest of the queue to other claimers.
    SELECT g.owner, g.target_specification
    FROM eligible AS e
    JOIN claim_group AS g
      ON g.owner = e.owner AND g.target_specification = e.target_specification
    WHERE e.place = 1
    ORDER BY e.timestamp_submitted, e.id
    LIMIT %(limit)s
    FOR UPDATE OF g SKIP LOCKED
),
picked AS (
    SELECT e.id, e.owner, e.target_specification, e.timestamp_submitted
    FROM eligible AS e
    JOIN locked AS l USING (owner, target_specification)
    ORDER BY e.timestamp_submitted, e.id
    LIMIT %(limit)s
)
SELECT
    -- The picked jobs, oldest first, with the group each was picked under (the second
    -- statement moves a job only if it is still in that group, the one this claim locked).
    coalesce(
        (SELECT array_agg(p.id ORDER BY p.timestamp_submitted, p.id) FROM picked AS p),
        '{}'::bigint[]
    ) AS job_ids,
    coalesce(
        (SELECT array_agg(p.owner ORDER BY p.timestamp_submitted, p.id) FROM picked AS p),
        '{}'::text[]
    ) AS owners,
    coalesce(
        (SELECT array_agg(p.target_specification ORDER BY p.timestamp_submitted, p.id)
         FROM picked AS p),
        '{}'::text[]
    ) AS targets,
    -- Whether the window held as many candidates as it could (then jobs beyond it may have
    -- been eligible too).
    (SELECT count(*) FROM candidate) >= %(window)s AS window_full,
    -- Eligible jobs whose group has no row to lock (inserted with triggers disabled, or while
    -- the schema was being adopted): the caller creates their rows and picks again, so no job
    -- depends on a row that something else had to create.
    coalesce(
        (SELECT array_agg(e.id)
         FROM eligible AS e
         WHERE e.place = 1
           AND NOT EXISTS (
               SELECT FROM claim_group AS g
               WHERE g.owner = e.owner AND g.target_specification = e.target_specification
           )),
        '{}'::bigint[]
    ) AS ungrouped
