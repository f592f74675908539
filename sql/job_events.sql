-- name: job_events
-- A job's history, oldest first, along the event log's (job_kind, job_id, id) index.
SELECT id, job_kind, job_id, from_status, to_status, at, note, attempt
FROM job_event
WHERE job_kind = %(job_kind)s AND job_id = %(job_id)s
ORDER BY id
