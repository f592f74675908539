-- name: bench_seed_jobs
-- %(count)s circuit jobs in status %(status)s, dealt round-robin to users u1..u%(users)s and
-- then to the targets of %(resources)s, submitted one second apart in id order.
INSERT INTO circuit_job (
    shots, circuit, circuit_format, owner, budget, target_specification, status,
    timestamp_submitted
)
SELECT 100,
       'OPENQASM 2.0; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; measure q -> c;',
       'qasm2',
       'u' || (1 + n %% %(users)s),
       'bench',
       'target-' || (%(resources)s::text[])[
           1 + (n / %(users)s) %% cardinality(%(resources)s::text[])
       ],
       %(status)s,
       localtimestamp - make_interval(secs => %(count)s - n)
FROM generate_series(1, %(count)s) AS n
