-- name: grant_job_counts_read
-- queue_stats reads the finished-job counters; only the job tables' triggers write them.
GRANT SELECT ON job_count_baseline, job_count_snapshot, job_count_delta TO {role}
