-- name: grant_reference_updates
-- A resource's maintenance flag (set_resource_maintenance), and one column of claim_group:
-- SELECT ... FOR UPDATE locks a row only for a role that may update some column of it.
GRANT UPDATE (maintenance) ON resource TO {role}
