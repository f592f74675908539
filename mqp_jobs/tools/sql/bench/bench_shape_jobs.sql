-- name: bench_shape_jobs
-- %(count)s circuit jobs on target %(target)s in status %(status)s, dealt round-robin to users
-- u%(first_user)s..u{%(first_user)s + %(users)s - 1} and submitted one millisecond apart from
-- %(start)s ms after an origin two hours ago. Plain SQL, as a bulk load or the portal's ORM
-- writes them (the claim groups are registered by the insert trigger).
INSERT INTO circuit_job (
    shots, circuit, circuit_format, owner, budget, target_specification, status, queued,
    timestamp_submitted
)
SELECT 1, 'OPENQASM 2.0; qreg q[1];', 'qasm2',
       'u' || (%(first_user)s + n %% %(users)s),
       'bench', %(target)s, %(status)s, %(queued)s,
       localtimestamp - interval '2 hours' + (%(start)s + n) * interval '1 millisecond'
FROM generate_series(1, %(count)s) AS n
