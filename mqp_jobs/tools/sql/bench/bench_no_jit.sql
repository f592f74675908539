-- name: bench_no_jit
-- The references run as the package's pooled connections do, without JIT, so that a ratio
-- compares the statements and not the compiler.
SELECT set_config('jit', 'off', false)
