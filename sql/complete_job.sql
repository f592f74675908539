-- name: complete_job
-- Only a job in a status completing starts from (WAITING; the statuses come from
-- mqp_jobs.states) completes; the status test in WHERE is re-checked on the newest row version
-- if another transaction changed the job first, so two completions cannot both win.
UPDATE circuit_job
SET status = %(to_status)s,
    result = %(result)s,
    executed_resource = %(executed_resource)s,
    executed_circuit = %(executed_circuit)s,
    note = %(note)s,
    timestamp_completed = (statement_timestamp() AT TIME ZONE %(zone)s::interval)
WHERE id = %(job_id)s AND status = ANY (%(from_statuses)s::text[])
  -- A runner that names its claim completes only that claim (a stale runner's call matches
  -- nothing once the job was requeued and claimed again).
  AND (%(attempt)s::integer IS NULL OR attempt = %(attempt)s::integer)
RETURNING id
