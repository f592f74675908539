-- name: job_events
SELECT * FROM job_event WHERE job_kind = %(job_kind)s AND job_id = %(job_id)s ORDER BY id
