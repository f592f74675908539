-- One row per (owner, target specification) that has ever had a circuit job: the row a claimer
-- locks before it counts that group's WAITING jobs. Row locks live in the tuple, not in the
-- server's shared lock table, so a claim may hold thousands of them; an advisory lock per
-- group would exhaust max_locks_per_transaction.
CREATE TABLE claim_group (
    owner                text NOT NULL,
    target_specification text NOT NULL,
    PRIMARY KEY (owner, target_specification)
);

INSERT INTO claim_group (owner, target_specification)
SELECT DISTINCT owner, target_specification FROM circuit_job
ON CONFLICT DO NOTHING;

-- Jobs inserted by any path, plain SQL included, get their group row in the same transaction.
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

CREATE TRIGGER circuit_job_claim_group AFTER INSERT ON circuit_job
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claim_group_register_inserted();

-- Fires only for an UPDATE that sets owner or target_specification, never for a claim.
CREATE TRIGGER circuit_job_claim_group_moved AFTER UPDATE OF owner, target_specification
    ON circuit_job FOR EACH ROW
    WHEN (OLD.owner IS DISTINCT FROM NEW.owner
          OR OLD.target_specification IS DISTINCT FROM NEW.target_specification)
    EXECUTE FUNCTION claim_group_register_moved();
