-- name: bench_analyze
-- Fresh statistics after a bulk load, as autovacuum would gather before long.
ANALYZE circuit_job
