-- name: lock_migrations
-- Held until the migrating transaction ends: a second `migrate` waits here, then finds the
-- versions the first one recorded and applies nothing twice.
SELECT pg_advisory_xact_lock(hashtext('mqp_jobs.migrate'))
