-- name: set_resource_maintenance
UPDATE resource SET maintenance = %(maintenance)s WHERE name = %(name)s
RETURNING name
