-- Indexes that keep a claim's cost proportional to its limit (and to the groups it passes
-- over), whatever one user's backlog, the held jobs of a target in maintenance, the filter or
-- the finished history. Built CONCURRENTLY, like 0004, so the portal keeps writing.

-- Each target's pending line, split by queued: a claim restricted to some resources reads
-- only their targets' lines, and the held jobs of a target in maintenance (queued, younger
-- than MAX_QUEUING_TIME) lie in one contiguous range that a claim reads only up to the cutoff.
CREATE INDEX CONCURRENTLY IF NOT EXISTS circuit_job_pending_target
    ON circuit_job (target_specification, queued, timestamp_submitted, id)
    WHERE status = 'PENDING';

-- Each (owner, target) group's pending line, split by queued: a claim whose window is taken up
-- by groups without a free slot reads the first few jobs of each group instead of a backlog,
-- and a claim restricted to some users reads only their groups' lines.
CREATE INDEX CONCURRENTLY IF NOT EXISTS circuit_job_pending_group
    ON circuit_job (owner, target_specification, queued, timestamp_submitted, id)
    WHERE status = 'PENDING';
