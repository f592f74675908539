-- name: bench_adoption_seed_finished_jobs
-- Finished circuit jobs number %(first)s..%(last)s of %(total)s, as the portal's ORM left
-- them: nine in ten COMPLETED (scheduled, completed, a result, the resource that ran them),
-- one in ten CANCELLED; cost 0, '' for absent text, naive local times spread over the past
-- year in id order. A quarter belong to the 50 busiest users, the rest are spread over
-- u1..u%(users)s; a third charge their group's budget; each user sends jobs to five of the
-- targets of %(resources)s resources.
INSERT INTO circuit_job (
    note, status, shots, circuit, circuit_format, no_modify, timestamp_submitted,
    timestamp_scheduled, timestamp_completed, timestamp_cancelled, cost, result, owner, budget,
    executed_resource, target_specification, executed_circuit, queued
)
SELECT '',
       CASE WHEN done THEN 'COMPLETED' ELSE 'CANCELLED' END,
       shots,
       circuit,
       'qasm2',
       n %% 7 = 0,
       submitted,
       CASE WHEN done OR n %% 20 = 0 THEN submitted + make_interval(secs => n %% 600) END,
       CASE WHEN done THEN submitted + make_interval(secs => n %% 600 + 5 + n %% 120) END,
       CASE WHEN NOT done THEN submitted + make_interval(secs => 30 + n %% 3600) END,
       0,
       CASE WHEN done
            THEN '{"' || repeat('0', qubits) || '": ' || shots / 2 || ', "'
                 || repeat('1', qubits) || '": ' || shots - shots / 2 || '}'
            ELSE ''
       END,
       'u' || owner_n,
       CASE WHEN n %% 3 = 0 THEN 'budget-group-' || (1 + owner_n %% %(groups)s)
            ELSE 'budget-u' || owner_n
       END,
       CASE WHEN done THEN 'qpu-' || lpad(resource_n::text, 2, '0') END,
       'target-qpu-' || lpad(resource_n::text, 2, '0'),
       CASE WHEN done THEN '// mapped to qpu-' || lpad(resource_n::text, 2, '0') || ' ' || circuit
            ELSE ''
       END,
       false
FROM (
    SELECT n,
           n %% 10 <> 0 AS done,
           (ARRAY[100, 1000, 1024, 4096, 10000])[1 + n %% 5] AS shots,
           2 + n %% 4 AS qubits,
           'OPENQASM 2.0; include "qelib1.inc"; qreg q[' || 2 + n %% 4 || ']; creg c['
               || 2 + n %% 4 || ']; ' || repeat('h q[0]; cx q[0],q[1]; ', 1 + n %% 8)
               || 'measure q -> c;' AS circuit,
           CASE WHEN n %% 4 = 0 THEN 1 + (n / 4) %% 50
                ELSE 1 + (n %% %(users)s * 7919) %% %(users)s
           END AS owner_n,
           localtimestamp
               - make_interval(secs => (%(total)s - n + 1) * (365 * 86400.0 / %(total)s))
               AS submitted
    FROM generate_series(%(first)s::integer, %(last)s::integer) AS n
) AS j
CROSS JOIN LATERAL (
    SELECT 1 + (owner_n + (n / %(users)s) %% 5) %% %(resources)s AS resource_n
) AS r
