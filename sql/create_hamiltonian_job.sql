-- name: create_hamiltonian_job
-- Same guard as create_job: no row unless every reference resolves and the budget is allowed.
WITH created AS (
    INSERT INTO hamiltonian_job (
        interaction_str, coefficients_str, owner, budget, target_specification,
        status, note, result, no_modify, cost, timestamp_submitted
    )
    SELECT %(interaction_str)s, %(coefficients_str)s, %(owner)s, %(budget)s, %(target_spec)s,
           'PENDING', '', '', false, 0, (statement_timestamp() AT TIME ZONE %(zone)s::interval)
    WHERE budget_chargeable(%(owner)s, %(budget)s)
      AND EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s)
    RETURNING *
)
SELECT created.*, t.resource_name AS target_resource_name
FROM created JOIN target_specification AS t ON t.name = created.target_specification
