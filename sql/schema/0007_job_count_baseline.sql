-- The baseline of the finished-job counts: one statement, so the rows it counts and the
-- snapshot it records are the same. It only reads the job tables (the portal keeps writing);
-- every change the triggers of 0006 logged from a transaction this snapshot does not see is
-- counted on top of it.
WITH counted AS (
    INSERT INTO job_count_baseline (job_kind, status, target_specification, jobs)
    SELECT 'circuit', status, target_specification, count(*)
    FROM circuit_job WHERE status NOT IN ('PENDING', 'WAITING')
    GROUP BY status, target_specification
    UNION ALL
    SELECT 'hamiltonian', status, target_specification, count(*)
    FROM hamiltonian_job WHERE status NOT IN ('PENDING', 'WAITING')
    GROUP BY status, target_specification
)
INSERT INTO job_count_snapshot (taken) VALUES (pg_current_snapshot());
