-- name: grant_table_updates
-- Exactly the columns package statements set on circuit jobs: the status and what a transition
-- stores. Never a job's id, owner or target, which the event log and the claim groups key on
-- (changing an id would move a job out of its own history).
GRANT UPDATE (
    status, note, result, executed_resource, executed_circuit, attempt,
    timestamp_scheduled, timestamp_completed, timestamp_cancelled
) ON circuit_job TO {role}
