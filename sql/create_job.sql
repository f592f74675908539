-- name: create_job
-- Inserts nothing unless the owner may charge the budget and the target exists, so a refused
-- job leaves no row; the caller then asks job_references which rule failed. Who may charge a
-- budget is the portal's rule (budget_chargeable, migration 0003): its owner, or a member of
-- a user group linked to it. Every column the portal's table has is written, as the portal
-- writes it.
WITH created AS (
    INSERT INTO circuit_job (
        shots, circuit, circuit_format, owner, budget, target_specification, no_modify, queued,
        status, note, result, executed_circuit, cost, timestamp_submitted
    )
    SELECT %(shots)s, %(circuit)s, %(circuit_format)s, %(owner)s, %(budget)s, %(target_spec)s,
           %(no_modify)s, %(queued)s, 'PENDING', '', '', '', 0, (statement_timestamp() AT TIME ZONE %(zone)s::interval)
    WHERE budget_chargeable(%(owner)s, %(budget)s)
      AND EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s)
    RETURNING *
)
SELECT created.*, t.resource_name AS target_resource_name,
       NULL::integer AS token_usage  -- a job created now has no token usage yet
FROM created JOIN target_specification AS t ON t.name = created.target_specification
