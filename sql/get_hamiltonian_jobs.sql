-- name: get_hamiltonian_jobs
SELECT * FROM hamiltonian_job WHERE id = ANY (%(job_ids)s::bigint[]) ORDER BY id
