-- name: grant_table_updates
-- The tables a package statement updates: the jobs (transitions), a resource's maintenance
-- flag, and claim_group, whose rows SELECT ... FOR UPDATE locks (that needs UPDATE).
GRANT UPDATE ON circuit_job, hamiltonian_job, resource, claim_group TO {role}
