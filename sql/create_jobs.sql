-- name: create_jobs
-- Many circuit jobs in one statement, one array per column, in the given order. The guard is
-- create_job's, row by row; the caller compares the count it gets back with the count it sent
-- and rolls the whole batch back if any row was refused.
INSERT INTO circuit_job (
    shots, circuit, circuit_format, owner, budget, target_specification, no_modify, queued
)
SELECT given.shots, given.circuit, given.circuit_format, given.owner, given.budget,
       given.target_spec, given.no_modify, given.queued
FROM unnest(
    %(shots)s::integer[], %(circuit)s::text[], %(circuit_format)s::text[], %(owner)s::text[],
    %(budget)s::text[], %(target_spec)s::text[], %(no_modify)s::boolean[], %(queued)s::boolean[]
) WITH ORDINALITY AS given (
    shots, circuit, circuit_format, owner, budget, target_spec, no_modify, queued, place
)
WHERE EXISTS (
          SELECT FROM budget_member AS m
          WHERE m.budget = given.budget AND m.identity = given.owner
      )
  AND EXISTS (SELECT FROM target_specification AS t WHERE t.name = given.target_spec)
ORDER BY given.place
RETURNING *
