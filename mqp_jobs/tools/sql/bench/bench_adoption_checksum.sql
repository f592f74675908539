-- name: bench_adoption_checksum
-- Count, last id and a checksum of the job rows with ids up to %(circuit_last)s and
-- %(hamiltonian_last)s, on the columns the portal created (adoption adds the claim count to
-- both job tables and four hybrid columns to Hamiltonian jobs).
SELECT c.rows, c.last_id, c.checksum, h.rows, h.last_id, h.checksum
FROM (
    SELECT count(*) AS rows, coalesce(max(id), 0) AS last_id,
           coalesce(sum(hashtext((to_jsonb(j) - 'attempt')::text)), 0) AS checksum
    FROM circuit_job AS j
    WHERE id <= %(circuit_last)s
) AS c
CROSS JOIN (
    SELECT count(*) AS rows, coalesce(max(id), 0) AS last_id,
           coalesce(sum(hashtext((
               id, note, status, interaction_str, coefficients_str, no_modify,
               timestamp_submitted, timestamp_scheduled, timestamp_completed,
               timestamp_cancelled, cost, result, owner, budget, executed_resource,
               target_specification
           )::text)), 0) AS checksum
    FROM hamiltonian_job
    WHERE id <= %(hamiltonian_last)s
) AS h
