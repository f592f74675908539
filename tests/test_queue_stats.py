"""queue_stats: exact counts whose cost follows the queue, not the finished history."""

from __future__ import annotations

import json
import threading
from typing import Any

import psycopg
from conftest import Portal
from helpers import submit
from psycopg import sql

from mqp_jobs import JobStatus, JobStore, StatusCount
from mqp_jobs.queries import query

FULL_COUNT = (
    "SELECT 'circuit', status, coalesce(nullif(t.resource_name, ''), '-'), count(*)"
    " FROM circuit_job j LEFT JOIN target_specification t ON t.name = j.target_specification"
    " GROUP BY 1, 2, 3"
    " UNION ALL SELECT 'hamiltonian', status, coalesce(nullif(t.resource_name, ''), '-'),"
    " count(*) FROM hamiltonian_job j"
    " LEFT JOIN target_specification t ON t.name = j.target_specification GROUP BY 1, 2, 3"
)


def _by_count(store: JobStore) -> set[tuple[str, str, str, int]]:
    return {(c.job_kind, c.status, c.resource or "-", c.jobs) for c in store.queue_stats().counts}


def _truth(db: psycopg.Connection) -> set[tuple[str, str, str, int]]:
    return {(k, s, r, int(n)) for k, s, r, n in db.execute(FULL_COUNT).fetchall()}


def test_counts_stay_exact_through_every_kind_of_change(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    jobs = [submit(store, portal, by=who) for who in ("alice", "bob") for _ in range(6)]
    claimed = store.claim_jobs()
    store.complete_jobs_with_results(
        [{"job_id": job.id, "executed_resource": portal.qpu} for job in claimed[:2]]
    )
    store.fail_job(claimed[2].id, "broke")
    store.cancel_job(jobs[-1].id, "not needed")
    assert _by_count(store) == _truth(db)
    # The portal's plain SQL: a finished job put back, one re-targeted, one deleted, and rows
    # inserted as finished.
    db.execute("UPDATE circuit_job SET status = 'PENDING' WHERE id = %s", (claimed[0].id,))
    db.execute(
        "UPDATE circuit_job SET target_specification = %s WHERE id = %s",
        (portal.sim_target, claimed[1].id),
    )
    db.execute("DELETE FROM circuit_job WHERE id = %s", (jobs[-1].id,))
    db.execute(
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification, status) SELECT 1, 'c', 'q', 'alice', 'alice-grant', %s,"
        " 'COMPLETED' FROM generate_series(1, 5)",
        (portal.qpu_target,),
    )
    assert _by_count(store) == _truth(db)
    # Folding the deltas into the baseline changes no count.
    db.execute("SELECT job_count_fold()")
    assert db.execute("SELECT count(*) FROM job_count_delta").fetchone() == (0,)
    assert _by_count(store) == _truth(db)


def test_concurrent_runners_are_counted_exactly_while_deltas_are_folded(
    conninfo: str, store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    for who in ("alice", "bob"):
        for _ in range(40):
            submit(store, portal, by=who, target_spec=portal.sim_target)
    failures: list[BaseException] = []

    def runner() -> None:
        mine = JobStore(conninfo).open()
        try:
            for _ in range(60):
                for job in mine.claim_jobs(limit=2):
                    mine.complete_job_with_result(job.id, "r", portal.qpu, "c")
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute("SELECT job_count_fold()")
        except BaseException as exc:
            failures.append(exc)
        finally:
            mine.close()

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _by_count(store) == _truth(db)
    assert store.queue_stats().total("COMPLETED") == 80


def test_the_cost_of_queue_stats_does_not_grow_with_the_history(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    def rows_read_from_job_tables() -> int:
        plan = db.execute(
            sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + sql.SQL(query("queue_stats")),
            {"max_queuing_time": 86400, "zone": "+00:00:00"},
        ).fetchone()
        assert plan is not None
        document = plan[0] if isinstance(plan[0], list) else json.loads(plan[0])
        total = 0

        def walk(node: dict[str, Any]) -> None:
            nonlocal total
            if node.get("Relation Name") in ("circuit_job", "hamiltonian_job"):
                total += int(node["Actual Rows"]) * int(node["Actual Loops"])
                total += int(node.get("Rows Removed by Filter", 0))
            for child in node.get("Plans", []):
                walk(child)

        walk(document[0]["Plan"])
        return total

    for _ in range(5):
        submit(store, portal)
    db.execute(
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification, status) SELECT 1, 'c', 'q', 'alice', 'alice-grant', %s,"
        " 'COMPLETED' FROM generate_series(1, 20000)",
        (portal.qpu_target,),
    )
    db.execute("ANALYZE")
    small = rows_read_from_job_tables()
    db.execute(
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification, status) SELECT 1, 'c', 'q', 'alice', 'alice-grant', %s,"
        " 'CANCELLED' FROM generate_series(1, 60000)",
        (portal.qpu_target,),
    )
    db.execute("ANALYZE")
    large = rows_read_from_job_tables()
    assert small <= 20 and large == small, (small, large)
    assert store.queue_stats().total("CANCELLED") == 60000


def test_the_counts_are_typed_and_a_target_without_resource_is_none(
    store: JobStore, portal: Portal
) -> None:
    submit(store, portal)
    submit(store, portal, target_spec=portal.sim_target)  # a target that names no resource
    [claimed] = store.claim_jobs(limit=1)  # the oldest: the one on qpu-a
    store.complete_job_with_result(claimed.id, "r", portal.qpu, "c")
    stats = store.queue_stats()
    assert all(type(count.status) is JobStatus for count in stats.counts)
    assert sorted(
        (count.status, count.resource) for count in stats.counts if count.job_kind == "circuit"
    ) == [(JobStatus.COMPLETED, "qpu-a"), (JobStatus.PENDING, None)]
    assert StatusCount("circuit", JobStatus.PENDING, None, 1) in stats.counts
    assert stats.total(JobStatus.PENDING) == stats.total("PENDING") == 1
    assert stats.total(JobStatus.COMPLETED, "hamiltonian") == 0
