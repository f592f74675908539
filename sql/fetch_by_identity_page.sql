-- name: fetch_by_identity_page
-- {order_by} is an identifier from a whitelist of the table's columns and {direction} is ASC
-- or DESC, composed with psycopg.sql; every value is a bound parameter. id breaks ties so
-- pages never overlap.
SELECT j.*, t.resource_name AS target_resource_name,
       (SELECT min(u.id) FROM token_usage AS u WHERE u.job = j.id) AS token_usage
FROM circuit_job AS j
LEFT JOIN target_specification AS t ON t.name = j.target_specification
WHERE j.owner = %(identity)s AND (%(status)s::text IS NULL OR j.status = %(status)s)
ORDER BY j.{order_by} {direction}, j.id {direction}
LIMIT %(limit)s OFFSET %(offset)s
