-- name: link_user_group_to_budget
-- Members of the group may charge the budget from now on (the portal's rule).
INSERT INTO user_groups_in_budgets (budget, usergroup) VALUES (%(budget)s, %(user_group)s)
ON CONFLICT DO NOTHING
