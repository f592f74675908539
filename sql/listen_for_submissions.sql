-- name: listen_for_submissions
-- The channel the job tables' insert triggers notify; see wait_for_pending_jobs.
LISTEN mqp_jobs_submitted
