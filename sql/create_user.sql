-- name: create_user
-- Creating a user that exists already is a no-op. The portal's other columns take their
-- neutral defaults (migration 0003).
INSERT INTO "user" (identity) VALUES (%(identity)s)
ON CONFLICT (identity) DO NOTHING
