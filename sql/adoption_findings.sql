-- name: adoption_findings
-- Rows the portal wrote that break a rule of the package (the *_rule_* triggers of migration
-- 0003, which bind what is written from now on). They are reported, never changed.
-- The rules are written out here, not called: `migrate --check` runs this on a portal database
-- before any migration of ours, when job_status_known() and job_text_blank() (migration 0009)
-- do not exist yet. A test holds the two to the same verdict on every edge case.
SELECT 'circuit_job' AS job_table, rule, rows
FROM (
    SELECT count(*) FILTER (
               WHERE status NOT IN ('PENDING', 'WAITING', 'COMPLETED', 'CANCELLED', 'FAILED')
           ) AS unknown_status,
           count(*) FILTER (WHERE shots <= 0) AS shots_not_positive,
           count(*) FILTER (WHERE circuit !~ E'[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]') AS empty_circuit,
           count(*) FILTER (WHERE circuit_format !~ E'[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]') AS empty_circuit_format
    FROM circuit_job
) AS c
CROSS JOIN LATERAL (VALUES
    ('status is not a known status', c.unknown_status),
    ('shots is not positive', c.shots_not_positive),
    ('circuit is empty', c.empty_circuit),
    ('circuit_format is empty', c.empty_circuit_format)
) AS found (rule, rows)
WHERE rows > 0
UNION ALL
SELECT 'hamiltonian_job', rule, rows
FROM (
    SELECT count(*) FILTER (
               WHERE status NOT IN ('PENDING', 'WAITING', 'COMPLETED', 'CANCELLED', 'FAILED')
           ) AS unknown_status,
           count(*) FILTER (WHERE interaction_str !~ E'[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]') AS empty_interaction,
           count(*) FILTER (WHERE coefficients_str !~ E'[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]') AS empty_coefficients
    FROM hamiltonian_job
) AS h
CROSS JOIN LATERAL (VALUES
    ('status is not a known status', h.unknown_status),
    ('interaction_str is empty', h.empty_interaction),
    ('coefficients_str is empty', h.empty_coefficients)
) AS found (rule, rows)
WHERE rows > 0
ORDER BY 1, 2
