-- name: bench_adoption_seed_portal
-- The portal's people and machines, written as its ORM writes them (every column given, ''
-- for absent text, naive local times): users u1..u%(users)s, each owning a budget 'budget-uN'
-- and a member of one of the groups group-1..group-%(groups)s, each group charging a budget
-- 'budget-group-G' of its own; resources qpu-01..qpu-%(resources)s, each with a target
-- 'target-qpu-NN'. One statement: foreign keys are checked at its end, when every row exists.
WITH users AS (
    INSERT INTO "user" (
        identity, note, email, affiliation, association, security_level, superuser_level,
        owner, blocked, block_reason, secret_hash, force_secret_reset, last_login,
        last_secret_change
    )
    SELECT 'u' || n, '', 'u' || n || '@example.org',
           (ARRAY['TUM', 'LMU', 'LRZ', 'WMI', 'MPQ'])[1 + n %% 5], '', 'BASIC', NULL, NULL,
           false, '', md5('secret of u' || n), false,
           localtimestamp - make_interval(days => n %% 300),
           NULL
    FROM generate_series(1, %(users)s) AS n
    RETURNING identity
),
user_groups AS (
    INSERT INTO user_group (name, note, owner, cost_modifier)
    SELECT 'group-' || g, '', 'u' || g, 1 FROM generate_series(1, %(groups)s) AS g
),
members AS (
    INSERT INTO users_in_user_groups ("user", usergroup)
    SELECT 'u' || n, 'group-' || (1 + n %% %(groups)s) FROM generate_series(1, %(users)s) AS n
),
own_budgets AS (
    INSERT INTO budget (name, note, owner, credits)
    SELECT 'budget-u' || n, '', 'u' || n, 10000 FROM generate_series(1, %(users)s) AS n
),
group_budgets AS (
    INSERT INTO budget (name, note, owner, credits)
    SELECT 'budget-group-' || g, '', 'u' || g, 1000000 FROM generate_series(1, %(groups)s) AS g
),
linked AS (
    INSERT INTO user_groups_in_budgets (budget, usergroup)
    SELECT 'budget-group-' || g, 'group-' || g FROM generate_series(1, %(groups)s) AS g
),
resources AS (
    INSERT INTO resource (
        name, note, maintenance, qubits, connectivity, instructions, quantum_technology,
        resource_cost_modifier, security_level, num_queued_jobs
    )
    SELECT 'qpu-' || lpad(r::text, 2, '0'), '', false, 5 + 3 * r, '', '',
           (ARRAY['superconducting', 'ion trap', 'neutral atom'])[1 + r %% 3], 1, 'BASIC', 0
    FROM generate_series(1, %(resources)s) AS r
)
INSERT INTO target_specification (
    name, note, specification_type, minimum_qubits, quantum_technology, resource_name
)
SELECT 'target-qpu-' || lpad(r::text, 2, '0'), '', 'resource', '0',
       (ARRAY['superconducting', 'ion trap', 'neutral atom'])[1 + r %% 3],
       'qpu-' || lpad(r::text, 2, '0')
FROM generate_series(1, %(resources)s) AS r
