-- name: fetch_hamiltonian_job_by_identity
SELECT * FROM hamiltonian_job WHERE owner = %(identity)s ORDER BY id
