-- name: bench_copy_jobs
-- The reference for create_jobs: COPY, the fastest way into a table.
COPY circuit_job (shots, circuit, circuit_format, owner, budget, target_specification)
FROM STDIN
