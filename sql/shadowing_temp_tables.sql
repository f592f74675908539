-- name: shadowing_temp_tables
-- Temporary tables of this session named like the package's own: the session's temporary
-- schema is searched first, so such a table would stand in for the real one in the claim's
-- statements (a temporary claim_group would defeat the group locks).
SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
FROM pg_class AS c
WHERE c.relnamespace = pg_my_temp_schema()
  AND c.relname IN ('claim_group', 'circuit_job', 'hamiltonian_job', 'target_specification',
                    'resource', 'job_event')
