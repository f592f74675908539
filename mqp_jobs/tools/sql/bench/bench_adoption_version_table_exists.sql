-- name: bench_adoption_version_table_exists
-- Whether migrate has created its version table yet: until then the poller has nothing to read.
SELECT to_regclass('mqp_schema_version') IS NOT NULL
