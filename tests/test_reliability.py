"""Runners die, connections drop, the server goes away: no job is lost or duplicated."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from conftest import Portal
from helpers import events, submit, submit_hamiltonian
from psycopg.conninfo import make_conninfo

from mqp_jobs import (
    DatabaseUnavailable,
    InvalidArgument,
    JobStore,
    OperationTimedOut,
    PoolSettings,
)
from mqp_jobs.claims import filter_queued_if_offline_and_fetch

SPAWN = multiprocessing.get_context("spawn")


def _age_waiting(db: psycopg.Connection, table: str, seconds: int) -> None:
    query = psycopg.sql.SQL(
        "UPDATE {} SET timestamp_scheduled = now() - %s WHERE status = 'WAITING'"
    ).format(psycopg.sql.Identifier(table))
    db.execute(query, (timedelta(seconds=seconds),))


def test_jobs_of_a_dead_runner_are_requeued(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    stale = [submit(store, portal, by=user) for user in ("alice", "bob")]
    hjob = submit_hamiltonian(store, portal)
    store.claim_jobs()
    store.fetch_all_pending_hamiltonian_jobs()
    _age_waiting(db, "circuit_job", 3600)
    _age_waiting(db, "hamiltonian_job", 3600)
    fresh = submit(store, portal, by="bob")
    store.claim_jobs()  # WAITING for a moment only
    requeued = store.requeue_stale_jobs(timedelta(minutes=30))
    assert requeued.circuit == [job.id for job in stale]
    assert requeued.hamiltonian == [hjob.id]
    assert [job.id for job in store.fetch_all_waiting_jobs()] == [fresh.id]
    assert events(db, "circuit", stale[0].id)[-1][:2] == ("WAITING", "PENDING")
    assert store.fetch_by_identity("alice")[0].timestamp_scheduled is None
    assert store.requeue_stale_jobs(timedelta(minutes=30)).circuit == []
    # Back in line first: the next claim takes them before anything newer.
    assert [job.id for job in store.claim_jobs()] == [job.id for job in stale]


@pytest.mark.parametrize("older_than", [None, 60, "1h", timedelta(seconds=-1)])
def test_requeue_needs_a_duration(store: JobStore, older_than: object) -> None:
    with pytest.raises(InvalidArgument):
        store.requeue_stale_jobs(older_than)  # type: ignore[arg-type]


def test_queue_stats_count_by_status_and_resource(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    empty = store.queue_stats()
    assert empty.counts == [] and empty.oldest_pending_age is None and empty.held_jobs == 0
    store.set_resource_maintenance(portal.qpu, True)
    submit(store, portal, queued=True)  # held
    submit(store, portal, target_spec=portal.sim_target)
    submit_hamiltonian(store, portal)
    db.execute("UPDATE circuit_job SET timestamp_submitted = now() - interval '2 hours'")
    store.claim_jobs()
    stats = store.queue_stats()
    as_tuples = {(c.job_kind, c.status, c.resource): c.jobs for c in stats.counts}
    assert as_tuples == {
        ("circuit", "PENDING", portal.qpu): 1,
        ("circuit", "WAITING", None): 1,
        ("hamiltonian", "PENDING", None): 1,
    }
    assert stats.held_jobs == 1
    assert stats.total("PENDING") == 2 and stats.total("PENDING", "circuit") == 1
    assert stats.oldest_pending_age is not None
    assert timedelta(hours=2) <= stats.oldest_pending_age < timedelta(hours=3)


def late_submitter(conninfo: str, delay: float) -> None:
    time.sleep(delay)
    with JobStore(conninfo) as store:
        store.create_job(1, "c", "alice", "alice-grant", "target-qpu-a", "qasm2")


def test_a_waiting_scheduler_is_woken_by_a_submission_from_another_process(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    assert store.wait_for_pending_jobs(0.2) is False  # nothing submitted: times out
    other = SPAWN.Process(target=late_submitter, args=(conninfo, 1.0))
    other.start()
    started = time.monotonic()
    assert store.wait_for_pending_jobs(30) is True
    assert time.monotonic() - started < 10
    other.join(timeout=30)
    assert len(store.claim_jobs()) == 1


def test_a_rolled_back_submission_wakes_no_one(store: JobStore, portal: Portal) -> None:
    store.wait_for_pending_jobs(0)
    with pytest.raises(RuntimeError), store.connection() as conn:
        from mqp_jobs.submit import create_job

        create_job(conn, 1, "c", "alice", "alice-grant", "target-qpu-a", "qasm2")
        raise RuntimeError("the caller gives up")
    assert store.wait_for_pending_jobs(0.3) is False


@pytest.mark.parametrize("timeout", [-1, None, "5", True])
def test_wait_needs_a_timeout(store: JobStore, timeout: object) -> None:
    with pytest.raises(InvalidArgument):
        store.wait_for_pending_jobs(timeout)  # type: ignore[arg-type]


def _kill_sessions(db: psycopg.Connection, application_name: str = "mqp_jobs") -> int:
    row = db.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = %s",
        (application_name,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_next_call_succeeds_after_every_pooled_connection_is_killed(
    conninfo: str, portal: Portal, db: psycopg.Connection
) -> None:
    store = JobStore(conninfo, settings=PoolSettings(min_size=3, max_size=3)).open()
    store.fetch_by_identity(portal.alice)
    deadline = time.monotonic() + 10
    while _kill_sessions(db) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # until the pool has opened all three
    job = store.create_job(1, "c", portal.alice, portal.alice_budget, portal.qpu_target, "qasm2")
    assert [j.id for j in store.claim_jobs()] == [job.id]
    store.close()


def test_a_claim_whose_connection_dies_mid_transaction_loses_no_job(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    jobs = [submit(store, portal, by=user) for user in ("alice", "alice", "bob")]
    with pytest.raises(DatabaseUnavailable), store.connection() as conn:
        moved = filter_queued_if_offline_and_fetch(conn, jobs)
        assert len(moved) == 3  # moved, but not committed
        db.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        conn.execute("SELECT 1")
    assert db.execute("SELECT count(*) FROM circuit_job WHERE status = 'PENDING'").fetchone() == (
        3,
    )
    assert [j.id for j in store.claim_jobs()] == [j.id for j in jobs]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_gives_a_clear_error_in_bounded_time(
    silent_server: int,
) -> None:
    url = make_conninfo(host="127.0.0.1", port=silent_server, dbname="portal", user="svc")
    store = JobStore(url, settings=PoolSettings(connect_timeout=2))
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match=f"port {silent_server} database portal"):
        store.open()
    assert time.monotonic() - started < 20
    assert not store.is_open


def test_pooled_connections_carry_the_timeouts_and_no_jit(conninfo: str) -> None:
    settings = PoolSettings(statement_timeout=42, lock_timeout=3, idle_in_transaction_timeout=7)
    store = JobStore(conninfo, settings=settings).open()
    with store.connection() as conn:
        shown = [
            conn.execute(psycopg.sql.SQL("SHOW {}").format(psycopg.sql.Identifier(name))).fetchone()
            for name in (
                "statement_timeout",
                "lock_timeout",
                "idle_in_transaction_session_timeout",
                "jit",
            )
        ]
    store.close()
    assert shown == [("42s",), ("3s",), ("7s",), ("off",)]


def test_a_call_waiting_on_a_lock_gives_up_at_lock_timeout(
    conninfo: str, portal: Portal, store: JobStore, db: psycopg.Connection
) -> None:
    job = submit(store, portal)
    store.claim_jobs()
    impatient = JobStore(conninfo, settings=PoolSettings(lock_timeout=0.5)).open()
    with psycopg.connect(conninfo) as runner:
        runner.execute("SELECT 1 FROM circuit_job WHERE id = %s FOR UPDATE", (job.id,))
        started = time.monotonic()
        with pytest.raises(OperationTimedOut):
            impatient.complete_job_with_result(job.id, "r", portal.qpu, None)
        assert time.monotonic() - started < 5
    impatient.close()
    assert store.fetch_all_waiting_jobs()[0].status == "WAITING"


def test_a_caller_idle_in_its_transaction_cannot_hold_claim_locks(
    conninfo: str, portal: Portal, store: JobStore
) -> None:
    jobs = [submit(store, portal) for _ in range(2)]
    stuck = JobStore(conninfo, settings=PoolSettings(idle_in_transaction_timeout=0.5)).open()
    with pytest.raises(DatabaseUnavailable), stuck.connection() as conn:
        filter_queued_if_offline_and_fetch(conn, jobs)
        time.sleep(1.5)  # the server ends the session and its transaction
        conn.execute("SELECT 1")
    stuck.close()
    assert [j.id for j in store.claim_jobs()] == [j.id for j in jobs]
