-- name: complete_jobs
-- Many completions in one statement, one array per column. Only jobs in a status completing
-- starts from (WAITING; the statuses come from mqp_jobs.states) complete, as in the single
-- completion; the caller compares what comes back with what it sent and rolls the whole batch
-- back unless every job either completed now or was already completed with the same values
-- (a retried batch).
UPDATE circuit_job AS j
SET status = %(to_status)s,
    result = given.result,
    executed_resource = given.executed_resource,
    executed_circuit = given.executed_circuit,
    note = given.note,
    timestamp_completed = (statement_timestamp() AT TIME ZONE %(zone)s::interval)
FROM unnest(
    %(job_id)s::bigint[], %(result)s::text[], %(executed_resource)s::text[],
    %(executed_circuit)s::text[], %(note)s::text[], %(attempt)s::integer[]
) AS given (job_id, result, executed_resource, executed_circuit, note, attempt)
WHERE j.id = given.job_id AND j.status = ANY (%(from_statuses)s::text[])
  AND (given.attempt IS NULL OR j.attempt = given.attempt)
  -- An entry naming no resource completes nothing (rather than abort the statement on the
  -- foreign key), so that the caller can name the entry that was refused.
  AND EXISTS (SELECT FROM resource AS r WHERE r.name = given.executed_resource)
RETURNING j.id
