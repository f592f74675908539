-- name: bench_bare_copy_portal_indexes
-- The step between the bare copy and the portal's table: the four indexes the portal's ORM
-- keeps on circuit_job's references, which every status change must also update.
DO $$
BEGIN
    CREATE INDEX bench_bare_job_budget ON bench_bare_job (budget);
    CREATE INDEX bench_bare_job_executed_resource ON bench_bare_job (executed_resource);
    CREATE INDEX bench_bare_job_owner ON bench_bare_job (owner);
    CREATE INDEX bench_bare_job_target_specification ON bench_bare_job (target_specification);
    ANALYZE bench_bare_job;
END
$$
