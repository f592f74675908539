-- name: grant_hamiltonian_updates
-- As grant_table_updates, for Hamiltonian jobs, with the hybrid columns.
GRANT UPDATE (
    status, note, result, executed_resource, executed_circuit, attempt,
    epochs, params, parametric_circuit,
    timestamp_scheduled, timestamp_completed, timestamp_cancelled
) ON hamiltonian_job TO {role}
