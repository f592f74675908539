-- name: add_user_group_members
INSERT INTO users_in_user_groups ("user", usergroup)
SELECT member, %(user_group)s FROM unnest(%(members)s::text[]) AS member
ON CONFLICT DO NOTHING
