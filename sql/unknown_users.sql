-- name: unknown_users
-- The identities among %(identities)s that have no user row, in the order given.
SELECT given.identity
FROM unnest(%(identities)s::text[]) WITH ORDINALITY AS given (identity, place)
WHERE NOT EXISTS (SELECT FROM "user" u WHERE u.identity = given.identity)
ORDER BY given.place
