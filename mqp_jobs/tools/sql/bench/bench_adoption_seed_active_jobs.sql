-- name: bench_adoption_seed_active_jobs
-- %(count)s circuit jobs submitted during the last hours and not finished: three in four
-- PENDING, one in four WAITING (scheduled and queued at a resource), for users
-- u1..u%(users)s, each on five of the targets of %(resources)s resources.
INSERT INTO circuit_job (
    note, status, shots, circuit, circuit_format, no_modify, timestamp_submitted,
    timestamp_scheduled, timestamp_completed, timestamp_cancelled, cost, result, owner, budget,
    executed_resource, target_specification, executed_circuit, queued
)
SELECT '',
       CASE WHEN waiting THEN 'WAITING' ELSE 'PENDING' END,
       1000,
       'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; '
           || 'measure q -> c;',
       'qasm2',
       false,
       submitted,
       CASE WHEN waiting THEN submitted + interval '2 seconds' END,
       NULL,
       NULL,
       0,
       '',
       'u' || owner_n,
       'budget-u' || owner_n,
       NULL,
       'target-qpu-' || lpad(resource_n::text, 2, '0'),
       '',
       waiting
FROM (
    SELECT n, n %% 4 = 0 AS waiting,
           localtimestamp - make_interval(secs => (%(count)s - n + 1) * 5) AS submitted
    FROM generate_series(1, %(count)s) AS n
) AS j
CROSS JOIN LATERAL (SELECT 1 + (n %% %(users)s * 7919) %% %(users)s AS owner_n) AS o
CROSS JOIN LATERAL (
    SELECT 1 + (owner_n + (n / %(users)s) %% 5) %% %(resources)s AS resource_n
) AS r
