-- name: cancel_hamiltonian_job
-- Hamiltonian jobs are never requeued.
UPDATE hamiltonian_job
SET status = %(to_status)s, timestamp_cancelled = (statement_timestamp() AT TIME ZONE %(zone)s::interval), note = %(note)s
WHERE id = %(job_id)s AND status = ANY (%(from_statuses)s::text[])
  -- A runner that names its claim acts only on that claim, while the job is WAITING for it.
  AND (%(attempt)s::integer IS NULL OR (attempt = %(attempt)s::integer AND status = %(claimed_status)s))
RETURNING status
