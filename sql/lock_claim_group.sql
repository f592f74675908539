-- name: lock_claim_group
-- Holds one (owner, target) group until the caller's transaction ends, so that an answer about
-- its active-job limit stays true while the caller acts on it. Creates the row if missing.
WITH registered AS (
    INSERT INTO claim_group (owner, target_specification)
    VALUES (%(owner)s, %(target_specification)s)
    ON CONFLICT DO NOTHING
)
SELECT owner FROM claim_group
WHERE owner = %(owner)s AND target_specification = %(target_specification)s
FOR UPDATE
