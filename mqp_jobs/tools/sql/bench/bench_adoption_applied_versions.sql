-- name: bench_adoption_applied_versions
-- The migrations recorded so far, read from outside while migrate runs: each one's commit is
-- when its step ended.
SELECT version FROM mqp_schema_version ORDER BY version
