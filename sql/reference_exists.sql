-- name: reference_exists
-- Whether a budget and a user group of these names exist, for a precise error.
SELECT EXISTS (SELECT FROM budget WHERE name = %(budget)s) AS budget_known,
       EXISTS (SELECT FROM user_group WHERE name = %(user_group)s) AS user_group_known
