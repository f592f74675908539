-- The indexes the portal's ORM gives its tables, under its names. On the portal's database they
-- exist and nothing is built. They are built CONCURRENTLY all the same: even for an index that
-- exists, a plain CREATE INDEX IF NOT EXISTS first takes a SHARE lock that would make the
-- portal's writes wait behind any transaction of the portal still open on the table, while
-- CONCURRENTLY takes a lock that writes do not wait for (and an index the portal lacks is
-- built without stopping it).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_user__owner" ON "user" ("owner");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_user_group__owner" ON "user_group" ("owner");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_users_in_user_groups" ON "users_in_user_groups" ("usergroup");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_budget__owner" ON "budget" ("owner");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_user_groups_in_budgets" ON "user_groups_in_budgets" ("usergroup");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_circuit_job__budget" ON "circuit_job" ("budget");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_circuit_job__executed_resource"
    ON "circuit_job" ("executed_resource");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_circuit_job__owner" ON "circuit_job" ("owner");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_circuit_job__target_specification"
    ON "circuit_job" ("target_specification");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_hamiltonian_job__budget" ON "hamiltonian_job" ("budget");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_hamiltonian_job__executed_resource"
    ON "hamiltonian_job" ("executed_resource");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_hamiltonian_job__owner" ON "hamiltonian_job" ("owner");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_hamiltonian_job__target_specification"
    ON "hamiltonian_job" ("target_specification");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_token_usage__job" ON "token_usage" ("job");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_token_usage__token" ON "token_usage" ("token");
