-- name: create_hamiltonian_job
-- Same guard as create_job: no row unless every reference resolves and the budget is allowed.
WITH created AS (
    INSERT INTO hamiltonian_job (
        interaction_str, coefficients_str, owner, budget, target_specification,
        status, note, result, no_modify, cost, timestamp_submitted
    )
    SELECT %(interaction_str)s, %(coefficients_str)s, %(owner)s, %(budget)s, %(target_spec)s,
           'PENDING', '', '', false, 0, (statement_timestamp() AT TIME ZONE %(zone)s::interval)
    WHERE EXISTS (
              SELECT FROM budget AS b
              WHERE b.name = %(budget)s
                AND (b.owner = %(owner)s OR EXISTS (
                    SELECT FROM user_groups_in_budgets AS gb
                    JOIN users_in_user_groups AS ug ON ug.usergroup = gb.usergroup
                    WHERE gb.budget = b.name AND ug."user" = %(owner)s))
          )
      AND EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s)
    RETURNING *
)
SELECT created.*, t.resource_name AS target_resource_name
FROM created JOIN target_specification AS t ON t.name = created.target_specification
