-- name: portal_tables_found
-- Which of the portal's tables the database already has, and about how many rows each holds
-- (the planner's estimate, NULL for a table never analyzed: reading a large table to count
-- it would be no dry run).
SELECT t.name, nullif(c.reltuples, -1)::bigint AS estimated_rows
FROM unnest(%(tables)s::text[]) AS t (name)
JOIN pg_class AS c ON c.oid = to_regclass(quote_ident(t.name))
ORDER BY t.name
