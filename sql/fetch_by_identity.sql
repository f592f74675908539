-- name: fetch_by_identity
SELECT j.*, t.resource_name AS target_resource_name,
       (SELECT min(u.id) FROM token_usage AS u WHERE u.job = j.id) AS token_usage
FROM circuit_job AS j
LEFT JOIN target_specification AS t ON t.name = j.target_specification
WHERE j.owner = %(identity)s
ORDER BY j.id
