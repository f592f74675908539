-- name: fetch_by_identity_page
-- {order_by} is an identifier from a whitelist of the table's columns and {direction} is ASC
-- or DESC, composed with psycopg.sql; every value is a bound parameter. id breaks ties so
-- pages never overlap. The page is cut from the job table alone, and only its rows are joined
-- to their target and token usage: rows skipped by OFFSET are never looked up.
SELECT page.*, t.resource_name AS target_resource_name,
       (SELECT min(u.id) FROM token_usage AS u WHERE u.job = page.id) AS token_usage
FROM (
    SELECT j.*
    FROM circuit_job AS j
    WHERE j.owner = %(identity)s AND (%(status)s::text IS NULL OR j.status = %(status)s)
    ORDER BY j.{order_by} {direction}, j.id {direction}
    LIMIT %(limit)s OFFSET %(offset)s
) AS page
LEFT JOIN target_specification AS t ON t.name = page.target_specification
ORDER BY page.{order_by} {direction}, page.id {direction}
