-- name: bench_plain_page
-- The reference for a dashboard page: the same listing, written by hand.
SELECT * FROM circuit_job
WHERE owner = %(owner)s
ORDER BY id DESC
LIMIT %(limit)s OFFSET %(offset)s
