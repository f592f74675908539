-- The database's rules for job fields, each defined once as a function that the row triggers
-- of migration 0003 now call, and that say what mqp_jobs.validation says (a test holds the two
-- to the same edge cases): a known status, and text a job needs that is not blank.
--
-- Blank was '[^[:space:]]' not found, whose meaning follows the database's locale: under
-- C.UTF-8 it leaves out U+001C..U+001F, U+0085 and U+00A0, so a circuit of no-break spaces
-- passed the trigger that the package refused, and adoption_findings did not report it. Blank
-- is now spelled out: the characters Python's str.isspace() accepts, which validation.blank()
-- strips, whatever the locale. (Written as \uXXXX escapes of an E'' string, which mean the
-- same whatever standard_conforming_strings says.)
CREATE OR REPLACE FUNCTION job_text_blank(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT value !~ E'[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
$$;

-- The statuses of JobStatus (mqp_jobs.models); a test compares the two.
CREATE OR REPLACE FUNCTION job_status_known(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT status IN ('PENDING', 'WAITING', 'COMPLETED', 'CANCELLED', 'FAILED')
$$;

-- The triggers, as 0003 made them, with their conditions calling the rules. Each DROP and
-- CREATE is a catalog change under a brief lock of the table (this file runs in one
-- transaction with the migration's short lock timeout). The conditions are still evaluated
-- without calling job_rule_broken(), so a row that keeps the rules costs no trigger call.
DROP TRIGGER IF EXISTS circuit_job_rule_status ON circuit_job;
CREATE TRIGGER circuit_job_rule_status BEFORE INSERT OR UPDATE OF status ON circuit_job
    FOR EACH ROW WHEN (NOT job_status_known(NEW.status))
    EXECUTE FUNCTION job_rule_broken('a known status');
DROP TRIGGER IF EXISTS circuit_job_rule_circuit ON circuit_job;
CREATE TRIGGER circuit_job_rule_circuit BEFORE INSERT OR UPDATE OF circuit ON circuit_job
    FOR EACH ROW WHEN (job_text_blank(NEW.circuit))
    EXECUTE FUNCTION job_rule_broken('a circuit');
DROP TRIGGER IF EXISTS circuit_job_rule_circuit_format ON circuit_job;
CREATE TRIGGER circuit_job_rule_circuit_format
    BEFORE INSERT OR UPDATE OF circuit_format ON circuit_job
    FOR EACH ROW WHEN (job_text_blank(NEW.circuit_format))
    EXECUTE FUNCTION job_rule_broken('a circuit format');
DROP TRIGGER IF EXISTS hamiltonian_job_rule_status ON hamiltonian_job;
CREATE TRIGGER hamiltonian_job_rule_status BEFORE INSERT OR UPDATE OF status ON hamiltonian_job
    FOR EACH ROW WHEN (NOT job_status_known(NEW.status))
    EXECUTE FUNCTION job_rule_broken('a known status');
DROP TRIGGER IF EXISTS hamiltonian_job_rule_interaction_str ON hamiltonian_job;
CREATE TRIGGER hamiltonian_job_rule_interaction_str
    BEFORE INSERT OR UPDATE OF interaction_str ON hamiltonian_job
    FOR EACH ROW WHEN (job_text_blank(NEW.interaction_str))
    EXECUTE FUNCTION job_rule_broken('an interaction string');
DROP TRIGGER IF EXISTS hamiltonian_job_rule_coefficients_str ON hamiltonian_job;
CREATE TRIGGER hamiltonian_job_rule_coefficients_str
    BEFORE INSERT OR UPDATE OF coefficients_str ON hamiltonian_job
    FOR EACH ROW WHEN (job_text_blank(NEW.coefficients_str))
    EXECUTE FUNCTION job_rule_broken('a coefficients string');

-- The rule functions are pure predicates over what their caller passes or may already read
-- (target_maintenance() runs with the caller's rights on target_specification and resource).
-- Every role that writes jobs needs them: the triggers' conditions call them as the writing
-- role, the portal's ORM included, and the claims call them as the application role. Granted to
-- PUBLIC explicitly, so a database whose default privileges withhold EXECUTE from PUBLIC keeps
-- accepting the portal's writes.
GRANT EXECUTE ON FUNCTION
    budget_chargeable(text, text),
    target_maintenance(),
    job_held(boolean, timestamp, boolean, integer, interval),
    within_active_job_limit(bigint, bigint, integer),
    job_text_blank(text),
    job_status_known(text)
TO PUBLIC;
