-- name: bench_dead_rows
-- Dead row versions in the job table and how often autovacuum has cleaned it, for the soak.
SELECT n_dead_tup, n_live_tup, autovacuum_count, vacuum_count
FROM pg_stat_user_tables
WHERE relname = 'circuit_job'
