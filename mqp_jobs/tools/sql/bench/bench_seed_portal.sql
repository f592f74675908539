-- name: bench_seed_portal
-- Users u1..u%(users)s who may all charge the budget 'bench' (u1 owns it, the others are in a
-- user group linked to it, the portal's way), and for each name in
-- %(resources)s a resource and a target 'target-NAME' on it. One statement: foreign keys are
-- checked at its end, when every row exists.
WITH users AS (
    INSERT INTO "user" (identity)
    SELECT 'u' || n FROM generate_series(1, %(users)s) AS n
    RETURNING identity
),
budget_row AS (
    INSERT INTO budget (name, owner) VALUES ('bench', 'u1')
),
bench_group AS (
    INSERT INTO user_group (name, owner) VALUES ('bench', 'u1')
),
members AS (
    INSERT INTO users_in_user_groups ("user", usergroup) SELECT identity, 'bench' FROM users
),
linked AS (
    INSERT INTO user_groups_in_budgets (budget, usergroup) VALUES ('bench', 'bench')
),
resources AS (
    INSERT INTO resource (name) SELECT unnest(%(resources)s::text[])
)
INSERT INTO target_specification (name, resource_name)
SELECT 'target-' || r, r FROM unnest(%(resources)s::text[]) AS r
