-- name: cancel_job
-- A job in a status cancelling starts from (PENDING or WAITING; the statuses come from
-- mqp_jobs.states) is cancelled, or put back in line when it is queued, younger than the
-- queuing window and the note reports its resource down (%(resource_down)s, decided by the
-- caller). A requeued job keeps timestamp_submitted, so FIFO order puts it first again. Either
-- way timestamp_cancelled records the call, as the portal's earlier module did.
UPDATE circuit_job AS job
SET status = CASE WHEN rule.requeue THEN %(requeued_status)s::text ELSE %(to_status)s::text END,
    timestamp_scheduled = CASE WHEN rule.requeue THEN NULL ELSE job.timestamp_scheduled END,
    timestamp_cancelled = (statement_timestamp() AT TIME ZONE %(zone)s::interval),
    note = %(note)s
FROM (
    -- The hold rule of the claims (migration 0008), with the note's report in place of the
    -- maintenance flag: a job the rule would hold back for its resource goes back in line.
    SELECT id,
           job_held(
               queued, timestamp_submitted, %(resource_down)s::boolean,
               %(max_queuing_time)s::integer, %(zone)s::interval
           ) AS requeue
    FROM circuit_job
    WHERE id = %(job_id)s
) AS rule
WHERE job.id = rule.id AND job.status = ANY (%(from_statuses)s::text[])
  -- A runner that names its claim acts only on that claim, while the job is WAITING for it.
  AND (%(attempt)s::integer IS NULL
       OR (job.attempt = %(attempt)s::integer AND job.status = %(claimed_status)s))
RETURNING job.status
