-- name: grant_table_access
-- Read and write, never DELETE: jobs and reference data are kept. UPDATE on claim_group is
-- what SELECT ... FOR UPDATE needs to lock a group.
GRANT SELECT, INSERT, UPDATE ON
    "user", user_group, users_in_user_groups, budget, user_groups_in_budgets, resource,
    target_specification,
    circuit_job, hamiltonian_job, claim_group
TO {role}
