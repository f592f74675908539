-- name: grant_table_access
-- Read and write, never DELETE: jobs and reference data are kept. UPDATE on claim_group is
-- what SELECT ... FOR UPDATE needs to lock a group.
GRANT SELECT, INSERT, UPDATE ON
    portal_user, budget, budget_member, resource, target_specification,
    circuit_job, hamiltonian_job, claim_group
TO {role}
