-- name: bench_server_version
SELECT current_setting('server_version')
