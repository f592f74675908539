-- name: bench_shape_requeue
-- Puts the jobs a measured claim moved back in line, so the next claim finds the same queue.
UPDATE circuit_job
SET status = 'PENDING', timestamp_scheduled = NULL
WHERE id = ANY (%(job_ids)s)
