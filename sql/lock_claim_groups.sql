-- name: lock_claim_groups
-- First statement of a filtered circuit claim, of an unfiltered one while a target is in
-- maintenance, and of a claim whose window was too narrow: pick the jobs the claim may move
-- and lock their (owner, target) groups. Returns one row: the picked job ids, oldest first,
-- and whether the candidate window was full. (An unfiltered claim with no target in
-- maintenance reads the line in FIFO order: lock_claim_line; a claim of given jobs reads them
-- by id: lock_claim_jobs. Everything from `placed` on is the same text in all three; a test
-- holds them equal.)
--
-- The WAITING counts read here come from this statement's snapshot and may be stale; the
-- claim's second statement (move_claimed_jobs) counts again under the group locks taken here,
-- with a snapshot taken after they were granted, and moves only what the limit still allows.
--
-- The candidates are read in one of two ways, chosen once per statement; each yields the same
-- jobs in the same order, and only the rows read differ:
--   streams: each admitted target's pending line (or, where the filter names owners, the lines
--            of those owners' groups on it), split by queued; a held range (queued jobs of a
--            target in maintenance submitted after the cutoff) is never read. Each line stops
--            after %(window)s candidates; their merge by submission time gives the same
--            prefix as the whole line would.
--   groups:  (%(by_group)s, when a full window yielded too few jobs: it was taken up by groups
--            without a free slot) every group with pending jobs, found by skipping from one
--            group to the next along the group index, and the first %(max_active)s candidates
--            of each: all that any group may move, whatever its backlog.
WITH RECURSIVE
target AS (
    -- Every target, with its resource and whether that is in maintenance (then its queued jobs
    -- are held by the hold rule, job_held of migration 0008, until they have waited long enough).
    SELECT t.name, t.resource_name, t.in_maintenance
    FROM target_maintenance() AS t
),
admitted AS (
    -- The targets the resource filters admit and, where the filter names the owners it admits
    -- on a target, those owners (NULL: any owner).
    SELECT t.name, t.resource_name, t.in_maintenance,
           CASE WHEN %(owners)s::text[] IS NOT NULL THEN %(owners)s::text[]
                WHEN t.resource_name = %(reserved_resource)s::text THEN %(reserved_for)s::text[]
           END AS owners
    FROM target AS t
    WHERE (%(resource)s::text IS NULL OR t.resource_name = %(resource)s::text)
      AND (
          %(excluded_resources)s::text[] IS NULL
          OR t.resource_name IS NULL
          OR t.resource_name <> ALL (%(excluded_resources)s::text[])
      )
),
stream AS (
    -- The lines read by streams: a whole target's line, or one admitted owner's line on it.
    SELECT a.name AS target_specification, a.resource_name, a.in_maintenance, NULL::text AS owner
    FROM admitted AS a
    WHERE a.owners IS NULL
    UNION ALL
    SELECT a.name, a.resource_name, a.in_maintenance, o.owner
    FROM admitted AS a
    CROSS JOIN LATERAL unnest(a.owners) AS o (owner)
    WHERE (%(owners)s::text[] IS NULL OR o.owner = ANY (%(owners)s::text[]))
      AND (%(excluded_owners)s::text[] IS NULL OR o.owner <> ALL (%(excluded_owners)s::text[]))
      AND (
          %(reserved_resource)s::text IS NULL
          OR a.resource_name IS DISTINCT FROM %(reserved_resource)s::text
          OR o.owner = ANY (%(reserved_for)s::text[])
      )
),
pending_group AS (
    -- groups: every (owner, target) with pending jobs, one index probe each (a loose scan).
    (SELECT j.owner, j.target_specification
     FROM circuit_job AS j
     WHERE j.status = 'PENDING' AND %(by_group)s::boolean
     ORDER BY j.owner, j.target_specification
     LIMIT 1)
    UNION ALL
    SELECT n.owner, n.target_specification
    FROM pending_group AS g
    CROSS JOIN LATERAL (
        SELECT j.owner, j.target_specification
        FROM circuit_job AS j
        WHERE j.status = 'PENDING'
          AND (j.owner, j.target_specification) > (g.owner, g.target_specification)
        ORDER BY j.owner, j.target_specification
        LIMIT 1
    ) AS n
),
candidate AS (
    -- PENDING jobs that the caller's filter admits and the hold rule lets go, oldest first.
    -- With a claim limit each way stops after %(window)s such jobs: a prefix of the line, so
    -- every job in it also has all of its group's older jobs in it and its place below is
    -- exact. The caller reads by groups if the window was too narrow.
    (SELECT s.id, s.owner, s.target_specification, s.timestamp_submitted
     FROM stream AS l
     CROSS JOIN LATERAL (
         -- A whole target's line: its jobs not queued, and its queued jobs the hold rule lets
         -- go (job_held given queued => true folds to an upper bound on timestamp_submitted,
         -- an index range condition, so a held range is never read).
         -- (Each line is ordered by the whole key of its index, whose leading columns are
         -- fixed here: only that index yields the order, so it is the one read.)
         (SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
          FROM circuit_job AS j
          WHERE l.owner IS NULL
            AND j.status = 'PENDING'
            AND j.target_specification = l.target_specification
            AND j.queued = false
            AND (%(excluded_owners)s::text[] IS NULL
                 OR j.owner <> ALL (%(excluded_owners)s::text[]))
            AND (
                %(reserved_resource)s::text IS NULL
                OR l.resource_name IS DISTINCT FROM %(reserved_resource)s::text
                OR j.owner = ANY (%(reserved_for)s::text[])
            )
          ORDER BY j.target_specification, j.queued, j.timestamp_submitted, j.id
          LIMIT %(window)s)
         UNION ALL
         (SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
          FROM circuit_job AS j
          WHERE l.owner IS NULL
            AND j.status = 'PENDING'
            AND j.target_specification = l.target_specification
            AND j.queued = true
            AND NOT job_held(
                true, j.timestamp_submitted, l.in_maintenance,
                %(max_queuing_time)s::integer, %(zone)s::interval
            )
            AND (%(excluded_owners)s::text[] IS NULL
                 OR j.owner <> ALL (%(excluded_owners)s::text[]))
            AND (
                %(reserved_resource)s::text IS NULL
                OR l.resource_name IS DISTINCT FROM %(reserved_resource)s::text
                OR j.owner = ANY (%(reserved_for)s::text[])
            )
          ORDER BY j.target_specification, j.queued, j.timestamp_submitted, j.id
          LIMIT %(window)s)
         UNION ALL
         -- One owner's line on the target (the owner was admitted above), split the same way.
         (SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
          FROM circuit_job AS j
          WHERE l.owner IS NOT NULL
            AND j.status = 'PENDING'
            AND j.owner = l.owner
            AND j.target_specification = l.target_specification
            AND j.queued = false
          ORDER BY j.owner, j.target_specification, j.queued, j.timestamp_submitted, j.id
          LIMIT %(window)s)
         UNION ALL
         (SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
          FROM circuit_job AS j
          WHERE l.owner IS NOT NULL
            AND j.status = 'PENDING'
            AND j.owner = l.owner
            AND j.target_specification = l.target_specification
            AND j.queued = true
            AND NOT job_held(
                true, j.timestamp_submitted, l.in_maintenance,
                %(max_queuing_time)s::integer, %(zone)s::interval
            )
          ORDER BY j.owner, j.target_specification, j.queued, j.timestamp_submitted, j.id
          LIMIT %(window)s)
     ) AS s
     WHERE NOT %(by_group)s::boolean
     ORDER BY s.timestamp_submitted, s.id
     LIMIT %(window)s)
    UNION ALL
    (SELECT s.id, s.owner, s.target_specification, s.timestamp_submitted
     FROM pending_group AS g
     JOIN admitted AS a ON a.name = g.target_specification
     CROSS JOIN LATERAL (
         -- The group's first candidates: no later job of it can take a slot.
         SELECT u.*
         FROM (
             (SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
              FROM circuit_job AS j
              WHERE j.status = 'PENDING'
                AND j.owner = g.owner
                AND j.target_specification = g.target_specification
                AND j.queued = false
              ORDER BY j.owner, j.target_specification, j.queued, j.timestamp_submitted, j.id
              LIMIT %(max_active)s)
             UNION ALL
             (SELECT j.id, j.owner, j.target_specification, j.timestamp_submitted
              FROM circuit_job AS j
              WHERE j.status = 'PENDING'
                AND j.owner = g.owner
                AND j.target_specification = g.target_specification
                AND j.queued = true
                AND NOT job_held(
                    true, j.timestamp_submitted, a.in_maintenance,
                    %(max_queuing_time)s::integer, %(zone)s::interval
                )
              ORDER BY j.owner, j.target_specification, j.queued, j.timestamp_submitted, j.id
              LIMIT %(max_active)s)
         ) AS u
         ORDER BY u.timestamp_submitted, u.id
         LIMIT %(max_active)s
     ) AS s
     WHERE %(by_group)s::boolean
       AND (%(owners)s::text[] IS NULL OR g.owner = ANY (%(owners)s::text[]))
       AND (%(excluded_owners)s::text[] IS NULL OR g.owner <> ALL (%(excluded_owners)s::text[]))
       AND (
           %(reserved_resource)s::text IS NULL
           OR a.resource_name IS DISTINCT FROM %(reserved_resource)s::text
           OR g.owner = ANY (%(reserved_for)s::text[])
       ))
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
    ) AS ungrouped
