-- name: bench_adoption_size
-- The size of the database and of its largest table, in bytes.
SELECT pg_database_size(current_database()), pg_total_relation_size('circuit_job')
