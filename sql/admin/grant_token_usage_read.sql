-- name: grant_token_usage_read
-- The token module's usage rows are read for a job's to_dict(), never written.
GRANT SELECT ON token_usage TO {role}
