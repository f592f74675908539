-- name: database_time
-- The database clock, which stamps every job.
SELECT clock_timestamp()
