-- name: grant_sequence_usage
-- The job tables' ids come from these sequences (the portal's ORM made them serial); no other
-- sequence, the event log's included.
GRANT USAGE ON SEQUENCE circuit_job_id_seq, hamiltonian_job_id_seq TO {role}
