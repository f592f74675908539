-- name: bench_adoption_portal_schedule
-- The portal's ORM moving a PENDING job on: it sets the changed columns and checks the old
-- status in the WHERE clause (optimistic concurrency), in one autocommit statement.
UPDATE circuit_job
SET status = 'WAITING', timestamp_scheduled = %(scheduled)s, queued = true
WHERE id = %(id)s AND status = 'PENDING'
