-- name: create_user
-- Creating a user that exists already is a no-op.
INSERT INTO portal_user (identity) VALUES (%(identity)s)
ON CONFLICT (identity) DO NOTHING
