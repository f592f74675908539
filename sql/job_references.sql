-- name: job_references
-- Why a job could not be created: which of its owner, budget and target are unknown, and
-- whether the owner may charge the budget (its owner, or a member of a linked user group).
SELECT
    EXISTS (SELECT FROM "user" WHERE identity = %(owner)s) AS owner_known,
    EXISTS (SELECT FROM budget WHERE name = %(budget)s) AS budget_known,
    budget_chargeable(%(owner)s, %(budget)s) AS budget_allowed,
    EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s) AS target_known
