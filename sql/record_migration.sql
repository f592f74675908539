-- name: record_migration
INSERT INTO mqp_schema_version (version, name) VALUES (%(version)s, %(name)s)
