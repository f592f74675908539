-- name: register_claim_groups
-- The group rows of these jobs, where missing. ON CONFLICT DO NOTHING leaves a row another
-- transaction holds or is creating as it is (waiting for the latter to end).
INSERT INTO claim_group (owner, target_specification)
SELECT DISTINCT owner, target_specification FROM circuit_job WHERE id = ANY (%(job_ids)s::bigint[])
ON CONFLICT DO NOTHING
