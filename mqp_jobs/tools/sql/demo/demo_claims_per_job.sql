-- name: demo_claims_per_job
-- For every circuit job: how often the event log saw it claimed (PENDING -> WAITING) and put
-- back in line (WAITING -> PENDING). A job may be claimed once more than it was put back.
SELECT job_id,
       count(*) FILTER (WHERE from_status = 'PENDING' AND to_status = 'WAITING') AS claims,
       count(*) FILTER (WHERE from_status = 'WAITING' AND to_status = 'PENDING') AS requeues
FROM job_event
WHERE job_kind = 'circuit'
GROUP BY job_id
