-- name: grant_table_access
-- Read everything the package reads; insert what it creates; never DELETE: jobs and reference
-- data are kept. Updates are granted separately, only where a package statement updates.
GRANT SELECT, INSERT ON
    "user", user_group, users_in_user_groups, budget, user_groups_in_budgets, resource,
    target_specification, circuit_job, hamiltonian_job, claim_group
TO {role}
