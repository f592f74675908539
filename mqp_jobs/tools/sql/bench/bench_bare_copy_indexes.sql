-- name: bench_bare_copy_indexes
-- What the textbook dequeue needs and nothing else: the primary key and the FIFO index of
-- pending jobs.
DO $$
BEGIN
    ALTER TABLE bench_bare_job ADD PRIMARY KEY (id);
    CREATE INDEX bench_bare_job_pending ON bench_bare_job (timestamp_submitted, id)
        WHERE status = 'PENDING';
    ANALYZE bench_bare_job;
END
$$
