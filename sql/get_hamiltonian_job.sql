-- name: get_hamiltonian_job
SELECT j.*, t.resource_name AS target_resource_name
FROM hamiltonian_job AS j
LEFT JOIN target_specification AS t ON t.name = j.target_specification
WHERE j.id = %(job_id)s
