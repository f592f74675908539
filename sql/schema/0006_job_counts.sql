-- Counts of finished jobs (every status but PENDING and WAITING) by kind, status and target,
-- kept by the job tables' triggers, so that queue_stats reads the active queue along its
-- partial indexes and the history as a few counter rows, not the whole history.
--
-- Exact without blocking the portal: the triggers append one delta row per statement and
-- group, tagged with the writing transaction's id; a baseline counted once (migration 0007)
-- records the snapshot it saw. A delta counts if its transaction was not visible in that
-- snapshot, so nothing is counted twice or missed, and no counter row is shared by two
-- writers (no waits between runners). Deltas are folded into the baseline from time to time.

CREATE TABLE job_count_baseline (
    job_kind             text NOT NULL,
    status               text NOT NULL,
    target_specification text NOT NULL,
    jobs                 bigint NOT NULL,
    PRIMARY KEY (job_kind, status, target_specification)
);

-- One row: the snapshot the baseline reflects; none until migration 0007 counted it.
CREATE TABLE job_count_snapshot (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    taken    pg_snapshot NOT NULL
);

CREATE TABLE job_count_delta (
    xid                  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    job_kind             text NOT NULL,
    status               text NOT NULL,
    target_specification text NOT NULL,
    jobs                 bigint NOT NULL
);

-- Fold the deltas the current snapshot sees into the baseline, one compactor at a time. Run
-- by the triggers now and then; a single statement, so one snapshot decides what is folded.
CREATE FUNCTION job_count_fold() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('mqp_jobs.job_count_fold')) THEN
        RETURN;
    END IF;
    WITH snap AS (
        SELECT (SELECT taken FROM job_count_snapshot) AS old, pg_current_snapshot() AS new
    ),
    folded AS (
        DELETE FROM job_count_delta AS d
        USING snap
        WHERE snap.old IS NOT NULL AND pg_visible_in_snapshot(d.xid, snap.new)
        RETURNING d.xid, d.job_kind, d.status, d.target_specification, d.jobs,
                  pg_visible_in_snapshot(d.xid, snap.old) AS in_baseline
    ),
    added AS (
        INSERT INTO job_count_baseline AS b (job_kind, status, target_specification, jobs)
        SELECT job_kind, status, target_specification, sum(jobs)
        FROM folded WHERE NOT in_baseline
        GROUP BY job_kind, status, target_specification
        ON CONFLICT (job_kind, status, target_specification)
        DO UPDATE SET jobs = b.jobs + excluded.jobs
    )
    UPDATE job_count_snapshot SET taken = (SELECT new FROM snap)
    WHERE (SELECT old FROM snap) IS NOT NULL;
END
$$;

-- One function per kind of statement: a transition table exists only where the statement has
-- one (an INSERT has no old rows, a DELETE no new ones).
CREATE FUNCTION job_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_count_delta (job_kind, status, target_specification, jobs)
    SELECT TG_ARGV[0], n.status, n.target_specification, count(*)
    FROM new_rows AS n
    WHERE n.status NOT IN ('PENDING', 'WAITING')
    GROUP BY n.status, n.target_specification;
    RETURN NULL;
END
$$;

CREATE FUNCTION job_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A row moves from one count to another when its status or its target changes; claims
    -- (PENDING -> WAITING) touch no count.
    INSERT INTO job_count_delta (job_kind, status, target_specification, jobs)
    SELECT TG_ARGV[0], counted.status, counted.target_specification, sum(counted.jobs)
    FROM (
        SELECT o.status, o.target_specification, -1 AS jobs
        FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
        WHERE o.status NOT IN ('PENDING', 'WAITING')
          AND (n.status IS DISTINCT FROM o.status
               OR n.target_specification IS DISTINCT FROM o.target_specification)
        UNION ALL
        SELECT n.status, n.target_specification, 1
        FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
        WHERE n.status NOT IN ('PENDING', 'WAITING')
          AND (n.status IS DISTINCT FROM o.status
               OR n.target_specification IS DISTINCT FROM o.target_specification)
    ) AS counted
    GROUP BY counted.status, counted.target_specification;
    -- About one finishing statement in a hundred folds the deltas, keeping them few.
    IF FOUND AND random() < 0.01 THEN
        PERFORM job_count_fold();
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION job_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_count_delta (job_kind, status, target_specification, jobs)
    SELECT TG_ARGV[0], o.status, o.target_specification, -count(*)
    FROM old_rows AS o
    WHERE o.status NOT IN ('PENDING', 'WAITING')
    GROUP BY o.status, o.target_specification;
    RETURN NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION job_count_inserted() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION job_count_updated() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION job_count_deleted() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema());
    EXECUTE format(
        'ALTER FUNCTION job_count_fold() SECURITY DEFINER SET search_path = %I, pg_temp',
        current_schema());
END
$$;
REVOKE EXECUTE ON FUNCTION job_count_inserted(), job_count_updated(), job_count_deleted(),
    job_count_fold() FROM PUBLIC;

CREATE TRIGGER circuit_job_counted_insert AFTER INSERT ON circuit_job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_count_inserted('circuit');
CREATE TRIGGER circuit_job_counted_update AFTER UPDATE ON circuit_job
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_count_updated('circuit');
CREATE TRIGGER circuit_job_counted_delete AFTER DELETE ON circuit_job
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_count_deleted('circuit');
CREATE TRIGGER hamiltonian_job_counted_insert AFTER INSERT ON hamiltonian_job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_count_inserted('hamiltonian');
CREATE TRIGGER hamiltonian_job_counted_update AFTER UPDATE ON hamiltonian_job
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_count_updated('hamiltonian');
CREATE TRIGGER hamiltonian_job_counted_delete AFTER DELETE ON hamiltonian_job
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_count_deleted('hamiltonian');
