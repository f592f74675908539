-- name: fetch_result_by_job_id_and_identity
-- The owner test is part of the lookup, so another user's job is simply not found.
SELECT j.*, t.resource_name AS target_resource_name,
       (SELECT min(u.id) FROM token_usage AS u WHERE u.job = j.id) AS token_usage
FROM circuit_job AS j
LEFT JOIN target_specification AS t ON t.name = j.target_specification
WHERE j.id = %(job_id)s AND j.owner = %(identity)s
