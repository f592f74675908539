-- name: lock_migrations
-- A session lock, held across the concurrent index builds, which run outside any transaction.
-- It is tried, not waited for: a second `migrate` polls with short statements, because a
-- session blocked inside a statement holds a snapshot that CREATE INDEX CONCURRENTLY of the
-- first would wait for, and the two would wait for each other.
SELECT pg_try_advisory_lock(hashtext('mqp_jobs.migrate'))
