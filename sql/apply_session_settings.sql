-- name: apply_session_settings
-- Run once on every new pooled connection: bounds on how long a stuck caller can hold locks.
-- JIT is off: the package's statements are short index walks whose planner estimates can still
-- cross jit_above_cost (a claim of thousands of jobs spent 120 of its 280 ms compiling), and
-- compiling never pays back for a statement that runs in milliseconds.
SELECT set_config('statement_timeout', %(statement_timeout)s, false),
       set_config('lock_timeout', %(lock_timeout)s, false),
       set_config('idle_in_transaction_session_timeout', %(idle_in_transaction_timeout)s, false),
       set_config('application_name', %(application_name)s, false),
       set_config('jit', 'off', false)
