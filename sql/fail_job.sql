-- name: fail_job
-- A runner gives up on a job in a status failing starts from (WAITING; the statuses come from
-- mqp_jobs.states); the job keeps its earlier fields for inspection.
UPDATE circuit_job SET status = %(to_status)s, note = %(note)s
WHERE id = %(job_id)s AND status = ANY (%(from_statuses)s::text[])
  AND (%(attempt)s::integer IS NULL OR attempt = %(attempt)s::integer)
RETURNING id
