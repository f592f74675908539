-- name: complete_job
-- Only a WAITING job completes; the status test in WHERE is re-checked on the newest row
-- version if another transaction changed the job first, so two completions cannot both win.
UPDATE circuit_job
SET status = 'COMPLETED',
    result = %(result)s,
    executed_resource = %(executed_resource)s,
    executed_circuit = %(executed_circuit)s,
    note = %(note)s,
    timestamp_completed = (statement_timestamp() AT TIME ZONE %(zone)s::interval)
WHERE id = %(job_id)s AND status = 'WAITING'
  -- A runner that names its claim completes only that claim (a stale runner's call matches
  -- nothing once the job was requeued and claimed again).
  AND (%(attempt)s::integer IS NULL OR attempt = %(attempt)s::integer)
RETURNING id
