-- name: bench_seed_portal
-- Users u1..u%(users)s who may all charge the budget 'bench', and for each name in
-- %(resources)s a resource and a target 'target-NAME' on it. One statement: foreign keys are
-- checked at its end, when every row exists.
WITH users AS (
    INSERT INTO portal_user (identity)
    SELECT 'u' || n FROM generate_series(1, %(users)s) AS n
    RETURNING identity
),
budget_row AS (
    INSERT INTO budget (name, owner) VALUES ('bench', 'u1')
),
members AS (
    INSERT INTO budget_member (budget, identity) SELECT 'bench', identity FROM users
),
resources AS (
    INSERT INTO resource (name) SELECT unnest(%(resources)s::text[])
)
INSERT INTO target_specification (name, resource_name)
SELECT 'target-' || r, r FROM unnest(%(resources)s::text[]) AS r
