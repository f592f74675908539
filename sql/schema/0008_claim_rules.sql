-- The claim's two rules, each defined once, as plain SQL functions that every statement
-- applying the rule calls (lock_claim_groups, move_claimed_jobs, queue_stats,
-- group_within_active_job_limit). Each body is a single SELECT, declared STABLE or IMMUTABLE,
-- neither SECURITY DEFINER nor given a SET clause, so the planner inlines it into the calling
-- statement: the claim's plans, its index range conditions included, are those of the
-- expression written out. The numbers (MAX_QUEUING_TIME, MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE)
-- live in mqp_jobs.rules and are passed as arguments. The functions' table names resolve in the
-- calling statement, which the claims check for shadowing temporary tables first.
-- Creating a function takes no lock on a table.

-- The hold rule, part one: every target, with its resource and whether that is in
-- maintenance. A target with no resource, or naming a resource without a row, is not in
-- maintenance. A set-returning function read in FROM (target_maintenance() AS t): its single
-- SELECT is expanded into the calling statement and joined like the tables it reads (a scalar
-- function whose body holds a subquery is not inlined, and would run once per row). Not a
-- view: a view would make the portal's tables depend on an object of ours, and the portal's
-- own schema changes (or DROP OWNED BY its role) would then fail on it.
CREATE OR REPLACE FUNCTION target_maintenance()
RETURNS TABLE (name text, resource_name text, in_maintenance boolean)
LANGUAGE sql STABLE AS $$
    SELECT t.name, t.resource_name, coalesce(r.maintenance, false)
    FROM target_specification AS t
    LEFT JOIN resource AS r ON r.name = t.resource_name
$$;

-- The hold rule, part two: a queued job whose target's resource is in maintenance is held
-- back (stays PENDING) while it was submitted less than max_queuing_time seconds ago. A NULL
-- in_maintenance (no target row) is not in maintenance. Called with queued => true in the
-- claim's queued-only index ranges, where it folds to the range's upper bound
-- (NOT job_held(true, ...) becomes timestamp_submitted <= cutoff). cancel_job applies it with
-- the note's report of the resource down in place of the maintenance flag: a job the rule would
-- hold back is put back in line instead of cancelled.
CREATE OR REPLACE FUNCTION job_held(
    queued boolean,
    submitted timestamp,
    in_maintenance boolean,
    max_queuing_time integer,
    zone interval
) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT queued
           AND submitted > CASE WHEN coalesce(in_maintenance, false)
                                THEN (statement_timestamp() AT TIME ZONE zone)
                                     - make_interval(secs => max_queuing_time)
                                ELSE 'infinity'::timestamp
                           END
$$;

-- The active-job limit: the job at place `place` in its (owner, target) group's line (1 for
-- the first) may move to WAITING while the group has `waiting` jobs WAITING when the place
-- plus those stays within max_active.
CREATE OR REPLACE FUNCTION within_active_job_limit(
    place bigint,
    waiting bigint,
    max_active integer
) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT place + waiting <= max_active
$$;
