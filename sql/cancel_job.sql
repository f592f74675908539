-- name: cancel_job
-- A PENDING or WAITING job is cancelled, or put back in line when it is queued, younger than
-- the queuing window and the note reports its resource down (%(resource_down)s, decided by the
-- caller). A requeued job keeps timestamp_submitted, so FIFO order puts it first again. Either
-- way timestamp_cancelled records the call, as the portal's earlier module did.
UPDATE circuit_job AS job
SET status = CASE WHEN rule.requeue THEN 'PENDING' ELSE 'CANCELLED' END,
    timestamp_scheduled = CASE WHEN rule.requeue THEN NULL ELSE job.timestamp_scheduled END,
    timestamp_cancelled = (statement_timestamp() AT TIME ZONE %(zone)s::interval),
    note = %(note)s
FROM (
    SELECT id,
           queued
           AND %(resource_down)s
           AND timestamp_submitted > (statement_timestamp() AT TIME ZONE %(zone)s::interval) - make_interval(secs => %(max_queuing_time)s)
           AS requeue
    FROM circuit_job
    WHERE id = %(job_id)s
) AS rule
WHERE job.id = rule.id AND job.status IN ('PENDING', 'WAITING')
  -- A runner that names its claim acts only on that claim, while the job is WAITING for it.
  AND (%(attempt)s::integer IS NULL
       OR (job.attempt = %(attempt)s::integer AND job.status = 'WAITING'))
RETURNING job.status
