-- name: create_target_spec
-- resource_name may be '' (a target by technology only) or name a resource without a row.
INSERT INTO target_specification (name, resource_name) VALUES (%(name)s, %(resource_name)s)
ON CONFLICT (name) DO NOTHING
