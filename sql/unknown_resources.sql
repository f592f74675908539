-- name: unknown_resources
-- The names among %(names)s that have no resource row, in the order given.
SELECT given.name
FROM unnest(%(names)s::text[]) WITH ORDINALITY AS given (name, place)
WHERE NOT EXISTS (SELECT FROM resource AS r WHERE r.name = given.name)
ORDER BY given.place
