-- name: grant_sequence_usage
-- Identity columns draw their ids from these sequences.
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}
