-- name: fetch_by_identity_page
-- {order_by} is an identifier from a whitelist and {direction} is ASC or DESC, composed with
-- psycopg.sql; every value is a bound parameter. id breaks ties so pages never overlap.
SELECT * FROM circuit_job
WHERE owner = %(identity)s AND (%(status)s::text IS NULL OR status = %(status)s)
ORDER BY {order_by} {direction}, id {direction}
LIMIT %(limit)s OFFSET %(offset)s
