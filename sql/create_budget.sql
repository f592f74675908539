-- name: create_budget
-- An existing budget keeps its owner; only members are added (see add_budget_members).
INSERT INTO budget (name, owner) VALUES (%(name)s, %(owner)s)
ON CONFLICT (name) DO NOTHING
