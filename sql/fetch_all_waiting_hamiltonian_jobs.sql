-- name: fetch_all_waiting_hamiltonian_jobs
SELECT * FROM hamiltonian_job WHERE status = 'WAITING' ORDER BY id
