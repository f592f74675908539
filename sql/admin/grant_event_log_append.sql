-- name: grant_event_log_append
-- The application role reads the event log; only the job tables' triggers write it (they run
-- as the schema's owner), so the application can neither forge nor rewrite history.
GRANT SELECT ON job_event TO {role}
