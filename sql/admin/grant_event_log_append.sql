-- name: grant_event_log_append
-- The event log is append-only for the application: the job tables' triggers run with the
-- caller's rights and insert into it.
GRANT SELECT, INSERT ON job_event TO {role}
