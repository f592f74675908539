-- name: get_hamiltonian_job
SELECT * FROM hamiltonian_job WHERE id = %(job_id)s
