-- name: plan_claim_generically
-- For the rest of a claim's transaction on one of the package's own connections: a prepared
-- statement runs its generic plan. lock_claim_line has no optional filter, and its LIMITs only
-- stop index walks, so its generic plan is as fast as a fresh one at every window size; it
-- saves the planning, most of a small claim's time in the database. Left to itself, PostgreSQL
-- would keep planning the statement afresh, since the generic plan's estimates (a tenth of the
-- table for a LIMIT it does not know) look dearer than they are. SET LOCAL: the setting ends
-- with the claim's transaction; lock_claim_groups, whose plan depends on which filters are
-- NULL, is never prepared, so this does not reach it.
SET LOCAL plan_cache_mode = force_generic_plan
