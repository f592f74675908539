-- name: bench_plain_insert
-- The reference for create_job: one plain INSERT of a job's attributes, no checks.
INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget, target_specification)
VALUES (%(shots)s, %(circuit)s, %(circuit_format)s, %(owner)s, %(budget)s, %(target_spec)s)
RETURNING id
