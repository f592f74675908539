-- name: drop_database
-- FORCE ends sessions still connected, such as those of a killed demo.
DROP DATABASE IF EXISTS {name} WITH (FORCE)
