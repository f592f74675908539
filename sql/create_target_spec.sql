-- name: create_target_spec
-- resource_name may be NULL or name a resource without a row: a target by technology only.
INSERT INTO target_specification (name, resource_name) VALUES (%(name)s, %(resource_name)s)
ON CONFLICT (name) DO NOTHING
