-- name: schema_version_exists
SELECT to_regclass('mqp_schema_version') IS NOT NULL
