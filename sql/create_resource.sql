-- name: create_resource
-- An existing resource is left as it is; set_resource_maintenance changes its state.
INSERT INTO resource (name, maintenance) VALUES (%(name)s, %(maintenance)s)
ON CONFLICT (name) DO NOTHING
