"""Faults a careful caller must be able to tell apart, and promises about time and shutdown."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timedelta

import psycopg
import pytest
from conftest import Portal
from helpers import submit
from psycopg_pool import ConnectionPool

import mqp_jobs
from mqp_jobs import (
    CommitOutcomeUnknown,
    Conflict,
    InvalidArgument,
    JobStore,
    PoolExhausted,
    PoolSettings,
    SchemaMissing,
    UnknownResource,
    ValueTooLarge,
)


def _terminate(db: psycopg.Connection, pid: int) -> None:
    db.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_lost_at_commit_says_the_outcome_is_unknown(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    with pytest.raises(CommitOutcomeUnknown, match="may or may not be stored"):  # noqa: SIM117
        with store.connection() as conn:
            conn.execute("SELECT 1")
            _terminate(db, conn.info.backend_pid)
    # The pool replaces the dead connection; the next call works.
    assert store.fetch_by_identity(portal.alice) == []


def test_a_serialization_failure_is_a_conflict_not_an_unreachable_server(
    store: JobStore, portal: Portal
) -> None:
    with pytest.raises(Conflict, match="may be retried"), store.connection() as conn:
        conn.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
    with pytest.raises(Conflict), store.connection() as conn:
        conn.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$")


def test_a_value_too_large_to_index_is_a_bad_argument(store: JobStore, portal: Portal) -> None:
    huge = secrets.token_hex(1500)  # 3,000 characters that do not compress
    with pytest.raises(ValueTooLarge):
        store.create_user(huge)
    assert isinstance(ValueTooLarge("x"), InvalidArgument)
    store.create_user("carol")  # the store is fine afterwards


def test_an_exhausted_pool_is_told_apart_from_an_unreachable_server(
    conninfo: str, portal: Portal
) -> None:
    store = JobStore(
        conninfo, settings=PoolSettings(min_size=1, max_size=1, connect_timeout=1)
    ).open()
    try:
        with store.connection():
            started = time.monotonic()
            with pytest.raises(PoolExhausted, match="raise max_size"):
                store.fetch_by_identity(portal.alice)
            assert time.monotonic() - started < 5
    finally:
        store.close()


def test_a_database_without_the_schema_says_so(conninfo: str, db: psycopg.Connection) -> None:
    db.execute("DROP TABLE claim_group")
    with pytest.raises(SchemaMissing, match="mqp-jobs migrate"), JobStore(conninfo) as store:
        store.claim_jobs()


def test_configure_refuses_settings_it_cannot_apply_to_a_callers_pool(conninfo: str) -> None:
    with ConnectionPool(conninfo, min_size=1, max_size=1, open=True) as pool:
        for setting in ("statement_timeout", "lock_timeout", "max_size", "min_size"):
            with pytest.raises(InvalidArgument, match=setting):
                mqp_jobs.configure(pool=pool, **{setting: 5})
        store = mqp_jobs.configure(pool=pool, connect_timeout=3)
        assert store.fetch_by_identity("nobody") == []
        mqp_jobs.close()


def test_a_refused_batch_completion_names_the_entry_with_the_unknown_resource(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    for _ in range(2):
        submit(store, portal)
        submit(store, portal, by=portal.bob)
    claimed = store.claim_jobs()
    entries = [{"job_id": job.id, "executed_resource": portal.qpu} for job in claimed]
    entries[2]["executed_resource"] = "qpu-gone"
    with pytest.raises(UnknownResource, match="completion 2: no resource 'qpu-gone'"):
        store.complete_jobs_with_results(entries)
    assert {job.status for job in store.fetch_all_waiting_jobs()} == {"WAITING"}
    assert len(store.fetch_all_waiting_jobs()) == 4


def test_every_time_is_the_moment_of_its_statement(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    """A claim inside a caller's transaction that began before the job was submitted stamps
    the moment of the claim, not of the transaction's start: the job is not scheduled before
    it was submitted, and a one-second requeue does not take it back at once."""
    with psycopg.connect(conninfo) as qdb:
        qdb.execute("SELECT 1")  # the caller's transaction begins here
        time.sleep(1.2)
        job = submit(store, portal)
        [moved] = mqp_jobs.JobStore.filter_queued_if_offline_and_fetch(qdb, [job])
        qdb.commit()
    assert moved.timestamp_scheduled is not None
    assert moved.timestamp_scheduled >= moved.timestamp_submitted
    assert store.requeue_stale_jobs(timedelta(seconds=1)).circuit == []
    assert abs(datetime.now() - moved.timestamp_scheduled) < timedelta(seconds=2)


def test_closing_a_store_wakes_a_waiting_scheduler_at_once(store: JobStore) -> None:
    store.wait_for_pending_jobs(0)
    outcome: list[bool] = []
    waiter = threading.Thread(target=lambda: outcome.append(store.wait_for_pending_jobs(30)))
    waiter.start()
    time.sleep(0.3)
    started = time.monotonic()
    store.close()
    waiter.join(timeout=5)
    assert not waiter.is_alive() and outcome == [False]
    assert time.monotonic() - started < 1


def test_the_listening_connection_sends_keepalives(store: JobStore) -> None:
    store.wait_for_pending_jobs(0)
    listener = store._listener
    assert listener is not None and listener._conn is not None
    settings = listener._conn.info.get_parameters()
    assert settings["keepalives"] == "1" and int(settings["keepalives_idle"]) > 0


@pytest.mark.parametrize("zone", ["JST-9", "UTC+3", "America/New_York", "Asia/Kolkata"])
def test_job_times_agree_with_datetime_now_in_any_zone_python_understands(
    store: JobStore, portal: Portal, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    """POSIX TZ strings too (``JST-9``, whose sign is the opposite of ISO's), not only IANA
    names: the package writes at the offset ``datetime.now()`` has."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        before = datetime.now()
        job = submit(store, portal)
        [claimed] = store.claim_jobs()
        after = datetime.now()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert before - timedelta(seconds=2) <= job.timestamp_submitted <= after + timedelta(seconds=2)
    assert claimed.timestamp_scheduled is not None
    assert (
        before - timedelta(seconds=2) <= claimed.timestamp_scheduled <= after + timedelta(seconds=2)
    )


def test_several_waiting_threads_each_keep_their_own_timeout_and_all_wake(
    store: JobStore, portal: Portal
) -> None:
    store.wait_for_pending_jobs(0)
    results: dict[str, tuple[bool, float]] = {}

    def wait(name: str, timeout: float) -> None:
        started = time.monotonic()
        results[name] = (store.wait_for_pending_jobs(timeout), time.monotonic() - started)

    long_waiters = [threading.Thread(target=wait, args=(f"long{n}", 30)) for n in range(2)]
    short = threading.Thread(target=wait, args=("short", 0.5))
    for thread in [*long_waiters, short]:
        thread.start()
    short.join(timeout=5)
    assert results["short"][0] is False and results["short"][1] < 2
    submit(store, portal)
    for thread in long_waiters:
        thread.join(timeout=10)
    assert [results[f"long{n}"][0] for n in range(2)] == [True, True]
    assert all(results[f"long{n}"][1] < 10 for n in range(2))
    waiters = [threading.Thread(target=wait, args=(f"closing{n}", 30)) for n in range(3)]
    for thread in waiters:
        thread.start()
    time.sleep(0.3)
    store.close()
    for thread in waiters:
        thread.join(timeout=5)
    assert [results[f"closing{n}"][0] for n in range(3)] == [False, False, False]


def test_every_refusal_of_a_batch_completion_names_its_entry(
    store: JobStore, portal: Portal
) -> None:
    for _ in range(2):
        submit(store, portal)
        submit(store, portal, by=portal.bob)
    claimed = store.claim_jobs()

    def entries() -> list[dict[str, object]]:
        return [{"job_id": job.id, "executed_resource": portal.qpu} for job in claimed]

    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"job_id": 10**6}, mqp_jobs.JobNotFound, "completion 1: no circuit job"),
        ({"job_id": "x"}, mqp_jobs.InvalidArgument, "completion 1:"),
        ({"note": "a\x00b"}, mqp_jobs.InvalidJob, "completion 1: note"),
        ({"attempt": 7}, mqp_jobs.StaleAttempt, "completion 1:"),
        (
            {"executed_resource": "x" * 3000},
            UnknownResource,
            r"completion 1: no resource 'x+\.\.\.$",
        ),
    ]
    for change, error, message in cases:
        batch = entries()
        batch[1] = {**batch[1], **change}
        with pytest.raises(error, match=message):
            store.complete_jobs_with_results(batch)
    assert len(store.fetch_all_waiting_jobs()) == 4
