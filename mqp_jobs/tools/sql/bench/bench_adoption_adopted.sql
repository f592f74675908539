-- name: bench_adoption_adopted
-- What adoption left: claim groups, events logged since, and any index left invalid.
SELECT (SELECT count(*) FROM claim_group),
       (SELECT count(*) FROM job_event),
       (SELECT count(*) FROM pg_index WHERE NOT indisvalid)
