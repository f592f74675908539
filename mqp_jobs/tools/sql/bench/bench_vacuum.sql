-- name: bench_vacuum
-- After seeding: visibility map and statistics as a long-running portal would have them.
VACUUM ANALYZE
