-- name: apply_session_settings
-- Run once on every new pooled connection: bounds on how long a stuck caller can hold locks.
SELECT set_config('statement_timeout', %(statement_timeout)s, false),
       set_config('lock_timeout', %(lock_timeout)s, false),
       set_config('idle_in_transaction_session_timeout', %(idle_in_transaction_timeout)s, false),
       set_config('application_name', %(application_name)s, false)
