-- name: create_jobs
-- Many circuit jobs in one statement, one array per column, in the given order. The guard is
-- create_job's, row by row; the caller compares the count it gets back with the count it sent
-- and rolls the whole batch back if any row was refused.
WITH created AS (
    INSERT INTO circuit_job (
        shots, circuit, circuit_format, owner, budget, target_specification, no_modify, queued,
        status, note, result, executed_circuit, cost, timestamp_submitted
    )
    SELECT given.shots, given.circuit, given.circuit_format, given.owner, given.budget,
           given.target_spec, given.no_modify, given.queued, 'PENDING', '', '', '', 0, (statement_timestamp() AT TIME ZONE %(zone)s::interval)
    FROM unnest(
        %(shots)s::integer[], %(circuit)s::text[], %(circuit_format)s::text[],
        %(owner)s::text[], %(budget)s::text[], %(target_spec)s::text[],
        %(no_modify)s::boolean[], %(queued)s::boolean[]
    ) WITH ORDINALITY AS given (
        shots, circuit, circuit_format, owner, budget, target_spec, no_modify, queued, place
    )
    WHERE budget_chargeable(given.owner, given.budget)
      AND EXISTS (SELECT FROM target_specification AS t WHERE t.name = given.target_spec)
    ORDER BY given.place
    RETURNING *
)
SELECT created.*, t.resource_name AS target_resource_name,
       NULL::integer AS token_usage  -- a job created now has no token usage yet
FROM created JOIN target_specification AS t ON t.name = created.target_specification
