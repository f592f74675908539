-- name: fail_job
-- A runner gives up on a WAITING job; the job keeps its earlier fields for inspection.
UPDATE circuit_job SET status = 'FAILED', note = %(note)s
WHERE id = %(job_id)s AND status = 'WAITING'
  AND (%(attempt)s::integer IS NULL OR attempt = %(attempt)s::integer)
RETURNING id
