-- name: bench_plain_count
SELECT count(*) FROM circuit_job WHERE owner = %(owner)s
