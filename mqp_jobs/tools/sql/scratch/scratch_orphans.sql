-- name: scratch_orphans
-- Throwaway databases whose names start with %(prefix)s and that no session is connected to:
-- left behind by a demo or benchmark that was killed before it could drop them.
SELECT d.datname
FROM pg_database AS d
WHERE starts_with(d.datname, %(prefix)s)
  AND NOT EXISTS (SELECT FROM pg_stat_activity AS a WHERE a.datname = d.datname)
ORDER BY d.datname
