-- name: unlock_migrations
SELECT pg_advisory_unlock(hashtext('mqp_jobs.migrate'))
