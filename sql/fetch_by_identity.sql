-- name: fetch_by_identity
SELECT j.*, t.resource_name AS target_resource_name
FROM circuit_job AS j
LEFT JOIN target_specification AS t ON t.name = j.target_specification
WHERE j.owner = %(identity)s
ORDER BY j.id
