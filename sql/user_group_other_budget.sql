-- name: user_group_other_budget
-- A budget other than %(budget)s that the user group grants, if any.
SELECT budget FROM user_groups_in_budgets
WHERE usergroup = %(user_group)s AND budget <> %(budget)s
LIMIT 1
