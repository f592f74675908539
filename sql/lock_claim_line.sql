-- name: lock_claim_line
-- First statement of an unfiltered circuit claim: pick the jobs the claim may move and lock
-- their (owner, target) groups. Returns one row: the picked job ids, oldest first, whether the
-- candidate window was full, and whether the claim must read by streams instead
-- (lock_claim_groups).
--
-- The common claim, kept apart from lock_claim_groups so that it is small: it plans in about
-- a third of the time of the statement that serves every filter. Everything from `placed` on
-- is the same text in lock_claim_line, lock_claim_groups and lock_claim_jobs (a test holds
-- them equal).
--
-- The WAITING counts read here come from this statement's snapshot and may be stale; the
-- claim's second statement (move_claimed_jobs) counts again under the group locks taken here,
-- with a snapshot taken after they were granted, and moves only what the limit still allows.
--
-- The candidates are the oldest %(window)s PENDING jobs along the pending index in FIFO order,
-- while no target is in maintenance, so that no job is held. Once one is, the hold rule would
-- make this read pass over every held job at the head of the line: the statement then picks
-- nothing and says so (streams_needed), and the claim reads by streams, which never read a
-- held range.
WITH
held_somewhere AS (
    SELECT EXISTS (SELECT FROM target_maintenance() AS t WHERE t.in_maintenance) AS held
),
candidate AS (
    SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
    FROM circuit_job AS j
    WHERE NOT (SELECT h.held FROM held_somewhere AS h)
      AND j.status = 'PENDING'
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
    WHERE within_active_job_limit(p.place, coalesce(w.jobs, 0), %(max_active)s::integer)
),
locked AS (
    -- Groups in FIFO order of their oldest eligible job. SKIP LOCKED passes over groups another
    -- claimer holds; LIMIT stops taking locks once enough groups are held, so a claim with a
    -- small limit leaves the rest of the queue to other claimers.
    -- The groups are read in that order (the sorted subquery drives the join), so the lock
    -- rows stop at the limit instead of looking up every eligible group first.
    SELECT g.owner, g.target_specification
    FROM (
        SELECT e.owner, e.target_specification, e.timestamp_submitted, e.id
        FROM eligible AS e
        WHERE e.place = 1
        ORDER BY e.timestamp_submitted, e.id
    ) AS e
    JOIN claim_group AS g
      ON g.owner = e.owner AND g.target_specification = e.target_specification
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
    NOT %(by_group)s::boolean AND (SELECT count(*) FROM candidate) >= %(window)s AS window_full,
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
    ) AS ungrouped,
    -- Whether a target is in maintenance, so that this claim picked nothing and must read by
    -- streams.
    (SELECT h.held FROM held_somewhere AS h) AS streams_needed
