-- The package's indexes on the job tables. Built CONCURRENTLY, one statement at a time outside
-- any transaction, so that on a portal database with a long history the portal keeps writing
-- while they are built. An interrupted build leaves an invalid index behind; migrate drops and
-- rebuilds such an index before it records this migration.

-- Claims read pending jobs oldest first; partial indexes keep that read proportional to the
-- pending queue, whatever the size of the finished history.
CREATE INDEX CONCURRENTLY IF NOT EXISTS circuit_job_pending_fifo
    ON circuit_job (timestamp_submitted, id) WHERE status = 'PENDING';
CREATE INDEX CONCURRENTLY IF NOT EXISTS hamiltonian_job_pending_fifo
    ON hamiltonian_job (timestamp_submitted, id) WHERE status = 'PENDING';

-- The active-job limit counts WAITING jobs per (owner, target); runners list WAITING jobs.
CREATE INDEX CONCURRENTLY IF NOT EXISTS circuit_job_waiting_group
    ON circuit_job (owner, target_specification) WHERE status = 'WAITING';
CREATE INDEX CONCURRENTLY IF NOT EXISTS hamiltonian_job_waiting
    ON hamiltonian_job (id) WHERE status = 'WAITING';

-- Listing a user's jobs (dashboard pages, fetch_by_identity) by owner, ordered by id.
CREATE INDEX CONCURRENTLY IF NOT EXISTS circuit_job_owner ON circuit_job (owner, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS hamiltonian_job_owner ON hamiltonian_job (owner, id);
