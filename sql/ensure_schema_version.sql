-- name: ensure_schema_version
CREATE TABLE IF NOT EXISTS mqp_schema_version (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
