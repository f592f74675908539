-- name: bench_adoption_portal_insert
-- A job submitted by the portal's ORM during the adoption: one INSERT naming every column.
INSERT INTO circuit_job (
    note, status, shots, circuit, circuit_format, no_modify, timestamp_submitted,
    timestamp_scheduled, timestamp_completed, timestamp_cancelled, cost, result, owner, budget,
    executed_resource, target_specification, executed_circuit, queued
)
VALUES (
    '', 'PENDING', %(shots)s, %(circuit)s, 'qasm2', false, %(submitted)s,
    NULL, NULL, NULL, 0, '', %(owner)s, %(budget)s,
    NULL, %(target)s, '', false
)
RETURNING id
