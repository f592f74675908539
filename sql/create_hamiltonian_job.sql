-- name: create_hamiltonian_job
-- Same guard as create_job: no row unless every reference resolves and the budget is allowed.
INSERT INTO hamiltonian_job (
    interaction_str, coefficients_str, owner, budget, target_specification
)
SELECT %(interaction_str)s, %(coefficients_str)s, %(owner)s, %(budget)s, %(target_spec)s
WHERE EXISTS (SELECT FROM budget_member WHERE budget = %(budget)s AND identity = %(owner)s)
  AND EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s)
RETURNING *
