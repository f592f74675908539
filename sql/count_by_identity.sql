-- name: count_by_identity
-- Every job of one owner: an index-only count on the owner index. Kept apart from the status
-- count below so that a prepared (generic) plan need not check the status of every row.
SELECT count(*) FROM circuit_job WHERE owner = %(identity)s
