-- Autovacuum tuned for a queue. Every claim and every completion rewrites a job row, and no
-- such update is HOT (status is in the predicate of the partial indexes), so each one leaves a
-- dead row version and a dead entry in the pending index that claims must step over until
-- vacuum removes it. The defaults wait for 20 % of a table to be dead: with a million finished
-- jobs that is 200,000 dead rows. Vacuum after 1 % (or 1,000 rows) instead, without the cost
-- delay slowing it down, and analyze as often, so the planner's idea of the pending share stays
-- current.
ALTER TABLE circuit_job SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_analyze_threshold = 1000
);
ALTER TABLE hamiltonian_job SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_analyze_threshold = 1000
);
-- The event log only grows: vacuum it for its visibility map after 5 % new rows, so that reads
-- of a job's history can use index-only scans.
ALTER TABLE job_event SET (autovacuum_vacuum_insert_scale_factor = 0.05);
