-- name: create_job
-- Inserts nothing unless the owner may charge the budget and the target exists, so a refused
-- job leaves no row; the caller then asks job_references which rule failed. A budget member
-- row implies that both the owner and the budget exist.
INSERT INTO circuit_job (
    shots, circuit, circuit_format, owner, budget, target_specification, no_modify, queued
)
SELECT %(shots)s, %(circuit)s, %(circuit_format)s, %(owner)s, %(budget)s, %(target_spec)s,
       %(no_modify)s, %(queued)s
WHERE EXISTS (SELECT FROM budget_member WHERE budget = %(budget)s AND identity = %(owner)s)
  AND EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s)
RETURNING *
