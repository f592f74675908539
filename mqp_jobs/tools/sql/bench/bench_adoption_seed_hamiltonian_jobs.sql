-- name: bench_adoption_seed_hamiltonian_jobs
-- %(count)s Hamiltonian jobs over the past year: the last 100 PENDING, the others COMPLETED
-- (nine in ten) or CANCELLED, for users u1..u%(users)s,
-- each on five of the targets of %(resources)s resources.
INSERT INTO hamiltonian_job (
    note, status, interaction_str, coefficients_str, no_modify, timestamp_submitted,
    timestamp_scheduled, timestamp_completed, timestamp_cancelled, cost, result, owner, budget,
    executed_resource, target_specification
)
SELECT '',
       status,
       '[[0, 1], [1, 2], [2, ' || 3 + n %% 5 || ']]',
       '[0.5, -0.25, ' || (n %% 100) / 100.0 || ']',
       false,
       submitted,
       CASE WHEN status = 'COMPLETED' THEN submitted + make_interval(secs => n %% 600) END,
       CASE WHEN status = 'COMPLETED' THEN submitted + make_interval(secs => n %% 600 + 60) END,
       CASE WHEN status = 'CANCELLED' THEN submitted + make_interval(secs => 30) END,
       0,
       CASE WHEN status = 'COMPLETED' THEN '{"energy": -' || (n %% 1000) / 100.0 || '}'
            ELSE ''
       END,
       'u' || owner_n,
       'budget-u' || owner_n,
       CASE WHEN status = 'COMPLETED' THEN 'qpu-' || lpad(resource_n::text, 2, '0')
       END,
       'target-qpu-' || lpad(resource_n::text, 2, '0')
FROM (
    SELECT n,
           CASE WHEN n > %(count)s - 100 THEN 'PENDING'
                WHEN n %% 10 = 0 THEN 'CANCELLED'
                ELSE 'COMPLETED'
           END AS status,
           localtimestamp
               - make_interval(secs => (%(count)s - n + 1) * (365 * 86400.0 / %(count)s))
               AS submitted
    FROM generate_series(1, %(count)s) AS n
) AS j
CROSS JOIN LATERAL (SELECT 1 + (n %% %(users)s * 7919) %% %(users)s AS owner_n) AS o
CROSS JOIN LATERAL (
    SELECT 1 + (owner_n + (n / %(users)s) %% 5) %% %(resources)s AS resource_n
) AS r
