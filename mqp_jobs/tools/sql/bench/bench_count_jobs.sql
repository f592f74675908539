-- name: bench_count_jobs
-- Reads every job page once, so that timed runs start from the same warm cache.
SELECT count(*), count(*) FILTER (WHERE status = 'PENDING') FROM circuit_job
