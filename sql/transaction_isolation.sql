-- name: transaction_isolation
-- The isolation level the current transaction really has, whatever set it (a default of the
-- server, database or role, or SET TRANSACTION), which the driver may not know.
SELECT current_setting('transaction_isolation')
