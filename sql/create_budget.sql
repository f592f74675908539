-- name: create_budget
-- The budget's owner after this statement: the given owner when it was created now, else the
-- owner it already had (the caller refuses a budget of somebody else; it never joins one).
WITH created AS (
    INSERT INTO budget (name, owner) VALUES (%(name)s, %(owner)s)
    ON CONFLICT (name) DO NOTHING
    RETURNING owner
)
SELECT owner FROM created
UNION ALL
SELECT owner FROM budget WHERE name = %(name)s
LIMIT 1
