-- What the job package adds to the portal's tables. Nothing of the portal's is renamed,
-- retyped, rewritten or dropped, and no existing row changes. Every statement that locks a job
-- table against writes (ALTER TABLE, CREATE TRIGGER) is at the end of this migration and costs
-- only a catalog change, so the portal's writes wait at most a moment; the one statement that
-- reads a whole table (filling the claim groups) comes first and only reads it.

-- One row per (owner, target specification) of circuit jobs: the row a claimer locks before it
-- counts that group's WAITING jobs. Row locks live in the tuple, not in the server's shared
-- lock table, so a claim may hold thousands of them; an advisory lock per group would exhaust
-- max_locks_per_transaction.
CREATE TABLE claim_group (
    owner                text NOT NULL,
    target_specification text NOT NULL,
    PRIMARY KEY (owner, target_specification)
);

INSERT INTO claim_group (owner, target_specification)
SELECT DISTINCT owner, target_specification FROM circuit_job
ON CONFLICT DO NOTHING;

-- Append-only history: one row per status change of any job, written by the triggers below so
-- that changes made by the portal's ORM or by plain SQL are recorded too.
CREATE TABLE job_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_kind    text NOT NULL CHECK (job_kind IN ('circuit', 'hamiltonian')),
    job_id      bigint NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    at          timestamptz NOT NULL DEFAULT statement_timestamp(),
    note        text NOT NULL DEFAULT '',
    -- The job's claim count when it changed: which claim a runner's completion belonged to.
    attempt     integer NOT NULL DEFAULT 0
);
CREATE INDEX job_event_job ON job_event (job_kind, job_id, id);

CREATE FUNCTION job_event_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job_event is append-only';
END
$$;

CREATE TRIGGER job_event_append_only BEFORE UPDATE OR DELETE ON job_event
    FOR EACH STATEMENT EXECUTE FUNCTION job_event_forbid_change();

-- Statement-level triggers with transition tables: one set-based INSERT per statement, however
-- many jobs it changed, instead of one trigger call per row.
CREATE FUNCTION job_event_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_event (job_kind, job_id, from_status, to_status, note, attempt)
    SELECT TG_ARGV[0], n.id, NULL, n.status, coalesce(n.note, ''), n.attempt FROM new_rows n;
    -- Wakes schedulers blocked in wait_for_pending_jobs; delivered at commit, once per
    -- transaction.
    PERFORM pg_notify('mqp_jobs_submitted', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE FUNCTION job_event_log_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_event (job_kind, job_id, from_status, to_status, note, attempt)
    SELECT TG_ARGV[0], n.id, o.status, n.status, coalesce(n.note, ''), n.attempt
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.status IS DISTINCT FROM n.status
    ORDER BY n.id;
    RETURN NULL;
END
$$;

-- Jobs inserted by any path, the ORM's included, get their group row in the same transaction.
-- ON CONFLICT DO NOTHING does not wait for claimers holding the row lock.
CREATE FUNCTION claim_group_register_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claim_group (owner, target_specification)
    SELECT DISTINCT owner, target_specification FROM new_rows
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION claim_group_register_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claim_group (owner, target_specification)
    VALUES (NEW.owner, NEW.target_specification)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- From here on each statement takes a lock that the portal's writes wait for, until this
-- migration commits: all of them are catalog changes, done in milliseconds.

-- The columns the package adds: each job's claim count (every claim increments it, so a
-- runner's completion can name the claim it belongs to and a stale runner is refused), and for
-- Hamiltonian jobs hybrid (variational) runs and the circuit a runner executed. A constant
-- default is stored in the catalog, so adding them rewrites no row.
ALTER TABLE circuit_job ADD COLUMN attempt integer NOT NULL DEFAULT 0;
ALTER TABLE hamiltonian_job
    ADD COLUMN attempt            integer NOT NULL DEFAULT 0,
    ADD COLUMN executed_circuit   text NOT NULL DEFAULT '',
    ADD COLUMN epochs             integer NOT NULL DEFAULT 0,
    ADD COLUMN params             text NOT NULL DEFAULT '',
    ADD COLUMN parametric_circuit text NOT NULL DEFAULT '';

-- Defaults for every column a plain INSERT of a job's attributes leaves out, and for the
-- reference columns the job package does not know, so that INSERTs from any client work.
-- Setting a default changes no existing row.
ALTER TABLE circuit_job
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN status SET DEFAULT 'PENDING',
    ALTER COLUMN no_modify SET DEFAULT false,
    ALTER COLUMN timestamp_submitted SET DEFAULT localtimestamp,
    ALTER COLUMN cost SET DEFAULT 0,
    ALTER COLUMN result SET DEFAULT '',
    ALTER COLUMN executed_circuit SET DEFAULT '',
    ALTER COLUMN queued SET DEFAULT false;
ALTER TABLE hamiltonian_job
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN status SET DEFAULT 'PENDING',
    ALTER COLUMN no_modify SET DEFAULT false,
    ALTER COLUMN timestamp_submitted SET DEFAULT localtimestamp,
    ALTER COLUMN cost SET DEFAULT 0,
    ALTER COLUMN result SET DEFAULT '';
ALTER TABLE "user"
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN email SET DEFAULT '',
    ALTER COLUMN affiliation SET DEFAULT '',
    ALTER COLUMN association SET DEFAULT '',
    ALTER COLUMN security_level SET DEFAULT 'BASIC',
    ALTER COLUMN blocked SET DEFAULT false,
    ALTER COLUMN block_reason SET DEFAULT '',
    ALTER COLUMN secret_hash SET DEFAULT '',
    ALTER COLUMN force_secret_reset SET DEFAULT false;
ALTER TABLE user_group
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN cost_modifier SET DEFAULT 1;
ALTER TABLE budget
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN credits SET DEFAULT 0;
ALTER TABLE resource
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN maintenance SET DEFAULT false,
    ALTER COLUMN qubits SET DEFAULT 0,
    ALTER COLUMN connectivity SET DEFAULT '',
    ALTER COLUMN instructions SET DEFAULT '',
    ALTER COLUMN quantum_technology SET DEFAULT '',
    ALTER COLUMN resource_cost_modifier SET DEFAULT 1,
    ALTER COLUMN security_level SET DEFAULT 'BASIC',
    ALTER COLUMN num_queued_jobs SET DEFAULT 0;
ALTER TABLE target_specification
    ALTER COLUMN note SET DEFAULT '',
    ALTER COLUMN specification_type SET DEFAULT '',
    ALTER COLUMN minimum_qubits SET DEFAULT '',
    ALTER COLUMN quantum_technology SET DEFAULT '',
    ALTER COLUMN resource_name SET DEFAULT '';

-- The package's rules for job rows, binding what is written from now on: every new row, and
-- every column an UPDATE sets. Rows the portal wrote before that break a rule are kept as they
-- are (migrate reports them, see adoption_findings), and the portal's ORM may still update
-- their other columns: a CHECK constraint, even NOT VALID, would be checked again on every
-- update of such a row and refuse it. The WHEN condition is evaluated without calling the
-- function, so a row that keeps the rules costs no function call.
-- Who may charge a budget, the portal's rule, in one place: its owner, or a member of a user
-- group linked to it. A plain SQL function, so the planner inlines it into the statements that
-- use it (create_job, create_jobs, create_hamiltonian_job, job_references).
CREATE FUNCTION budget_chargeable(charger text, budget_name text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT FROM budget AS b
        WHERE b.name = budget_name
          AND (b.owner = charger OR EXISTS (
              SELECT FROM user_groups_in_budgets AS gb
              JOIN users_in_user_groups AS ug ON ug.usergroup = gb.usergroup
              WHERE gb.budget = b.name AND ug."user" = charger))
    )
$$;

CREATE FUNCTION job_rule_broken() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a % row must have %', TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'check_violation';
END
$$;

CREATE TRIGGER circuit_job_rule_status BEFORE INSERT OR UPDATE OF status ON circuit_job
    FOR EACH ROW
    WHEN (NEW.status NOT IN ('PENDING', 'WAITING', 'COMPLETED', 'CANCELLED', 'FAILED'))
    EXECUTE FUNCTION job_rule_broken('a known status');
CREATE TRIGGER circuit_job_rule_shots BEFORE INSERT OR UPDATE OF shots ON circuit_job
    FOR EACH ROW WHEN (NEW.shots <= 0)
    EXECUTE FUNCTION job_rule_broken('a positive number of shots');
CREATE TRIGGER circuit_job_rule_circuit BEFORE INSERT OR UPDATE OF circuit ON circuit_job
    FOR EACH ROW WHEN (NEW.circuit !~ '[^[:space:]]')
    EXECUTE FUNCTION job_rule_broken('a circuit');
CREATE TRIGGER circuit_job_rule_circuit_format
    BEFORE INSERT OR UPDATE OF circuit_format ON circuit_job
    FOR EACH ROW WHEN (NEW.circuit_format !~ '[^[:space:]]')
    EXECUTE FUNCTION job_rule_broken('a circuit format');
CREATE TRIGGER hamiltonian_job_rule_status BEFORE INSERT OR UPDATE OF status ON hamiltonian_job
    FOR EACH ROW
    WHEN (NEW.status NOT IN ('PENDING', 'WAITING', 'COMPLETED', 'CANCELLED', 'FAILED'))
    EXECUTE FUNCTION job_rule_broken('a known status');
CREATE TRIGGER hamiltonian_job_rule_interaction_str
    BEFORE INSERT OR UPDATE OF interaction_str ON hamiltonian_job
    FOR EACH ROW WHEN (NEW.interaction_str !~ '[^[:space:]]')
    EXECUTE FUNCTION job_rule_broken('an interaction string');
CREATE TRIGGER hamiltonian_job_rule_coefficients_str
    BEFORE INSERT OR UPDATE OF coefficients_str ON hamiltonian_job
    FOR EACH ROW WHEN (NEW.coefficients_str !~ '[^[:space:]]')
    EXECUTE FUNCTION job_rule_broken('a coefficients string');
-- The hybrid columns are new and every row holds the default 0, so a plain constraint binds
-- them; NOT VALID all the same, so that adding it does not read the table while it is locked.
ALTER TABLE hamiltonian_job
    ADD CONSTRAINT mqp_hamiltonian_job_epochs CHECK (epochs >= 0) NOT VALID;

-- The trigger functions run as their owner with a pinned search_path: this schema, then the
-- session's temporary schema last. So a session cannot dodge the event log or the group locks
-- by creating a temporary job_event or claim_group (the temporary schema is otherwise searched
-- first), and the application role needs no direct write on the event log (it cannot forge
-- history). The schema is the one this migration runs in, whatever its name.
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION job_event_log_insert() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION job_event_log_update() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION claim_group_register_inserted() SECURITY DEFINER'
        ' SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION claim_group_register_moved() SECURITY DEFINER'
        ' SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION job_event_forbid_change() SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION job_rule_broken() SET search_path = %I, pg_temp', current_schema());
END
$$;
-- Only the triggers call these.
REVOKE EXECUTE ON FUNCTION job_event_log_insert(), job_event_log_update(),
    claim_group_register_inserted(), claim_group_register_moved() FROM PUBLIC;

CREATE TRIGGER circuit_job_created AFTER INSERT ON circuit_job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_event_log_insert('circuit');
CREATE TRIGGER circuit_job_changed AFTER UPDATE ON circuit_job
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_event_log_update('circuit');
CREATE TRIGGER hamiltonian_job_created AFTER INSERT ON hamiltonian_job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_event_log_insert('hamiltonian');
CREATE TRIGGER hamiltonian_job_changed AFTER UPDATE ON hamiltonian_job
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_event_log_update('hamiltonian');

CREATE TRIGGER circuit_job_claim_group AFTER INSERT ON circuit_job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claim_group_register_inserted();
-- Fires only for an UPDATE that sets owner or target_specification, never for a claim.
CREATE TRIGGER circuit_job_claim_group_moved AFTER UPDATE OF owner, target_specification
    ON circuit_job FOR EACH ROW
    WHEN (OLD.owner IS DISTINCT FROM NEW.owner
          OR OLD.target_specification IS DISTINCT FROM NEW.target_specification)
    EXECUTE FUNCTION claim_group_register_moved();

-- Autovacuum tuned for a queue. Every claim and every completion rewrites a job row, and no
-- such update is HOT (status is in the predicate of the partial indexes), so each one leaves a
-- dead row version and a dead entry in the pending index that claims must step over until
-- vacuum removes it. The defaults wait for 20 % of a table to be dead: with a million finished
-- jobs that is 200,000 dead rows. Vacuum after 1 % (or 1,000 rows) instead, without the cost
-- delay slowing it down, and analyze as often, so the planner's idea of the pending share stays
-- current. (A storage parameter is a catalog change; no row is rewritten.)
ALTER TABLE circuit_job SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_analyze_threshold = 1000
);
ALTER TABLE hamiltonian_job SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_analyze_threshold = 1000
);
-- The event log only grows: vacuum it for its visibility map after 5 % new rows, so that reads
-- of a job's history can use index-only scans.
ALTER TABLE job_event SET (autovacuum_vacuum_insert_scale_factor = 0.05);
