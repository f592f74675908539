-- name: grant_schema_usage
-- The application role of grant_app_role: {role} is an existing role, composed as an
-- identifier. It may use the schema but not create anything in it.
GRANT USAGE ON SCHEMA public TO {role}
