-- name: fail_hamiltonian_job
-- As fail_job.
UPDATE hamiltonian_job SET status = %(to_status)s, note = %(note)s
WHERE id = %(job_id)s AND status = ANY (%(from_statuses)s::text[])
  AND (%(attempt)s::integer IS NULL OR attempt = %(attempt)s::integer)
RETURNING id
