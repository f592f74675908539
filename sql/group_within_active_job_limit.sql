-- name: group_within_active_job_limit
-- Whether the active-job limit lets one more job of an (owner, target) group move to WAITING:
-- the group's WAITING circuit jobs other than the job asked about (which may be WAITING
-- itself), counted along the WAITING index, and the job first in line after them.
SELECT within_active_job_limit(1, count(*), %(max_active)s::integer)
FROM circuit_job
WHERE status = 'WAITING'
  AND owner = %(owner)s
  AND target_specification = %(target_specification)s
  AND id <> %(job_id)s
