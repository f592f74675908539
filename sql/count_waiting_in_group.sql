-- name: count_waiting_in_group
-- WAITING circuit jobs of one (owner, target), other than the job asked about.
SELECT count(*)
FROM circuit_job
WHERE status = 'WAITING'
  AND owner = %(owner)s
  AND target_specification = %(target_specification)s
  AND id <> %(job_id)s
