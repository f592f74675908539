-- name: bench_bare_copy
-- The reference table of the textbook dequeue: a copy of circuit_job's rows with no trigger,
-- no foreign key and no index yet (bench_bare_copy_indexes adds the two it needs).
CREATE TABLE bench_bare_job AS SELECT * FROM circuit_job
