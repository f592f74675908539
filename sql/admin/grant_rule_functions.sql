-- name: grant_rule_functions
-- The rule functions the claims, create_job and the job tables' triggers call (migrations 0003,
-- 0008, 0009). Migration 0009 grants them to PUBLIC; granted to the role too, so that a later
-- REVOKE ... FROM PUBLIC does not take them from the application.
GRANT EXECUTE ON FUNCTION
    budget_chargeable(text, text),
    target_maintenance(),
    job_held(boolean, timestamp, boolean, integer, interval),
    within_active_job_limit(bigint, bigint, integer),
    job_text_blank(text),
    job_status_known(text)
TO {role}
