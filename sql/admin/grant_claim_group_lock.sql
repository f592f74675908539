-- name: grant_claim_group_lock
-- SELECT ... FOR UPDATE locks a claim group's row only for a role that may update some
-- column of it; no package statement updates one.
GRANT UPDATE (target_specification) ON claim_group TO {role}
