-- name: fetch_all_waiting_jobs
SELECT * FROM circuit_job WHERE status = 'WAITING' ORDER BY id
