-- name: fail_hamiltonian_job
UPDATE hamiltonian_job SET status = 'FAILED', note = %(note)s
WHERE id = %(job_id)s AND status = 'WAITING'
  AND (%(attempt)s::integer IS NULL OR attempt = %(attempt)s::integer)
RETURNING id
