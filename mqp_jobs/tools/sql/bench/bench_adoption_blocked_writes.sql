-- name: bench_adoption_blocked_writes
-- The table locks the sessions named %(application)s are waiting for at this moment, and the
-- conflicting modes in which the sessions blocking them hold those tables. A write asks for
-- AccessShareLock, RowShareLock (foreign key checks) or RowExclusiveLock; the pairs below are
-- PostgreSQL's conflicts for those three modes.
WITH conflicts (wanted, held) AS (
    VALUES ('AccessShareLock', 'AccessExclusiveLock'),
           ('RowShareLock', 'ExclusiveLock'),
           ('RowShareLock', 'AccessExclusiveLock'),
           ('RowExclusiveLock', 'ShareLock'),
           ('RowExclusiveLock', 'ShareRowExclusiveLock'),
           ('RowExclusiveLock', 'ExclusiveLock'),
           ('RowExclusiveLock', 'AccessExclusiveLock')
)
SELECT DISTINCT w.relation::regclass::text AS relation, w.mode AS wanted, h.mode AS held
FROM pg_locks AS w
JOIN pg_stat_activity AS a ON a.pid = w.pid
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker (pid)
JOIN pg_locks AS h ON h.pid = blocker.pid AND h.granted AND h.relation = w.relation
JOIN conflicts AS c ON c.wanted = w.mode AND c.held = h.mode
WHERE NOT w.granted
  AND w.relation IS NOT NULL
  AND a.datname = current_database()
  AND a.application_name = %(application)s
ORDER BY 1, 2, 3
