-- name: get_circuit_job
SELECT j.*, t.resource_name AS target_resource_name
FROM circuit_job AS j
LEFT JOIN target_specification AS t ON t.name = j.target_specification
WHERE j.id = %(job_id)s
