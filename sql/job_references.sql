-- name: job_references
-- Why a job could not be created: which of its owner, budget and target are unknown, and
-- whether the owner may charge the budget.
SELECT
    EXISTS (SELECT FROM portal_user WHERE identity = %(owner)s) AS owner_known,
    EXISTS (SELECT FROM budget WHERE name = %(budget)s) AS budget_known,
    EXISTS (
        SELECT FROM budget_member WHERE budget = %(budget)s AND identity = %(owner)s
    ) AS budget_allowed,
    EXISTS (SELECT FROM target_specification WHERE name = %(target_spec)s) AS target_known
