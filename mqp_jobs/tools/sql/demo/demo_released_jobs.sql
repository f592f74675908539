-- name: demo_released_jobs
-- Queued jobs on %(resource)s that were submitted while it was in maintenance and first
-- claimed after the maintenance ended at %(ended_at)s: the jobs the hold rule kept back. Both
-- moments come from the event log's own clock (its first event is the submission), so no
-- time zone is involved.
SELECT count(*)
FROM circuit_job AS j
JOIN target_specification AS t ON t.name = j.target_specification
WHERE t.resource_name = %(resource)s
  AND j.queued
  AND (
      SELECT min(e.at) FROM job_event AS e
      WHERE e.job_kind = 'circuit' AND e.job_id = j.id AND e.from_status IS NULL
  ) < %(ended_at)s
  AND (
      SELECT min(e.at) FROM job_event AS e
      WHERE e.job_kind = 'circuit' AND e.job_id = j.id AND e.to_status = 'WAITING'
  ) >= %(ended_at)s
