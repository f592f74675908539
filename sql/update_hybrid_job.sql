-- name: update_hybrid_job
-- One epoch of a variational run; allowed while the job is in a status a hybrid update starts
-- from (PENDING or WAITING; mqp_jobs.states). The status is kept.
UPDATE hamiltonian_job
SET epochs = %(epochs)s,
    params = %(params)s,
    parametric_circuit = %(parametric_circuit)s,
    note = %(note)s
WHERE id = %(job_id)s AND status = ANY (%(from_statuses)s::text[])
  -- A runner that names its claim acts only on that claim, while the job is WAITING for it.
  AND (%(attempt)s::integer IS NULL OR (attempt = %(attempt)s::integer AND status = %(claimed_status)s))
RETURNING id
