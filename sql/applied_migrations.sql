-- name: applied_migrations
SELECT version FROM mqp_schema_version ORDER BY version
