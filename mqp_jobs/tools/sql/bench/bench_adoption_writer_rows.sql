-- name: bench_adoption_writer_rows
-- The circuit jobs written after the seed (ids above %(last_id)s): how many, how many WAITING.
SELECT count(*), count(*) FILTER (WHERE status = 'WAITING')
FROM circuit_job
WHERE id > %(last_id)s
