-- name: add_budget_members
INSERT INTO budget_member (budget, identity)
SELECT %(budget)s, member FROM unnest(%(members)s::text[]) AS member
ON CONFLICT (budget, identity) DO NOTHING
