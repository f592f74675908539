-- name: create_user_group
-- The group's owner after this statement, as for create_budget.
WITH created AS (
    INSERT INTO user_group (name, owner) VALUES (%(name)s, %(owner)s)
    ON CONFLICT (name) DO NOTHING
    RETURNING owner
)
SELECT owner FROM created
UNION ALL
SELECT owner FROM user_group WHERE name = %(name)s
LIMIT 1
