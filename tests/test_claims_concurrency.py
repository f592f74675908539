"""Several schedulers, each a real process, claiming from one database at the same time."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from multiprocessing.synchronize import Event
from typing import Any

import psycopg
import pytest

from mqp_jobs import ClaimFilter, JobStore, PoolSettings
from mqp_jobs.claims import claim_circuit_jobs

SPAWN = multiprocessing.get_context("spawn")
USERS = [f"user{n:03d}" for n in range(100)]
TARGETS = ["target-qpu-a", "target-qpu-b"]

# Test-only audit, checked at every commit that moves a job to WAITING: a deferred constraint
# trigger that serializes on the job's (owner, target), then counts that group's WAITING jobs
# with a snapshot taken after the lock, so it sees every earlier commit. Over-limit groups are
# recorded rather than raised, so the schedulers run on unchanged.
LIMIT_AUDIT = """
CREATE TABLE limit_audit (owner text, target_specification text, waiting bigint);
CREATE FUNCTION audit_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    waiting bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(NEW.owner || '/' || NEW.target_specification));
    SELECT count(*) INTO waiting FROM circuit_job
    WHERE status = 'WAITING' AND owner = NEW.owner
      AND target_specification = NEW.target_specification;
    IF waiting > 2 THEN
        INSERT INTO limit_audit VALUES (NEW.owner, NEW.target_specification, waiting);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER audit_limit AFTER UPDATE ON circuit_job
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'WAITING' AND OLD.status <> 'WAITING')
    EXECUTE FUNCTION audit_limit();
"""


def _store(conninfo: str) -> JobStore:
    return JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=2)).open()


def _set_up_portal(store: JobStore, db: psycopg.Connection) -> None:
    for user in USERS:
        store.create_user(user)
    store.create_budget("consortium", USERS[0], USERS[1:])
    for resource in ("qpu-a", "qpu-b"):
        store.create_resource(resource)
        store.create_target_spec(f"target-{resource}", resource)
    db.execute(LIMIT_AUDIT)


def _submit(store: JobStore, count: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [
        store.create_job(
            rng.randint(1, 1000),
            "OPENQASM 2.0;",
            rng.choice(USERS),
            "consortium",
            rng.choice(TARGETS),
            "qasm2",
            queued=rng.random() < 0.2,
        ).id
        for _ in range(count)
    ]


def submitter(conninfo: str, count: int, done: Event, results: Any) -> None:
    """Submit jobs in small batches, switching qpu-a in and out of maintenance between them,
    so that claimers with snapshots a moment apart disagree about which queued jobs are held."""
    store = _store(conninfo)
    submitted = []
    for batch in range(count // 20):
        submitted += _submit(store, 20, seed=batch)
        store.set_resource_maintenance("qpu-a", batch % 2 == 0)
        time.sleep(0.01)
    store.set_resource_maintenance("qpu-a", False)
    results.put(("submitter", submitted))
    done.set()
    store.close()


CLAIMERS: dict[str, tuple[ClaimFilter | None, int | None]] = {
    # name: (filter, limit)
    "everything-1": (None, None),
    "everything-2": (None, None),
    "small-1": (None, 3),
    "small-2": (None, 1),
    "some-users": (ClaimFilter(users=USERS[:50]), 5),
    "qpu-b-others": (ClaimFilter(resource="qpu-b", not_users=USERS[:20]), 4),
}


def scheduler(conninfo: str, name: str, stop: Event, results: Any) -> None:
    """Claim with one variant and complete what was claimed, until told to stop."""
    store = _store(conninfo)
    where, limit = CLAIMERS[name]
    claimed: list[int] = []
    while not stop.is_set():
        jobs = store.claim_jobs(where, limit=limit)
        claimed += [job.id for job in jobs]
        for job in jobs:
            store.complete_job_with_result(job.id, "{}", job.target_specification[7:], None)
        if not jobs:
            time.sleep(0.005)
    results.put((name, claimed))
    store.close()


def _most_waiting_in_a_group(db: psycopg.Connection) -> int:
    row = db.execute(
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM circuit_job"
        " WHERE status = 'WAITING' GROUP BY owner, target_specification) AS groups"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_concurrent_schedulers_claim_every_job_exactly_once_within_the_limit(
    store: JobStore, conninfo: str, db: psycopg.Connection
) -> None:
    _set_up_portal(store, db)
    preloaded = _submit(store, 800, seed=-1)
    stop, submitted_all = SPAWN.Event(), SPAWN.Event()
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=submitter, args=(conninfo, 1200, submitted_all, results))]
    workers += [
        SPAWN.Process(target=scheduler, args=(conninfo, name, stop, results)) for name in CLAIMERS
    ]
    for worker in workers:
        worker.start()
    most_waiting = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            most_waiting = max(most_waiting, _most_waiting_in_a_group(db))
            unfinished = db.execute(
                "SELECT count(*) FROM circuit_job WHERE status <> 'COMPLETED'"
            ).fetchone()
            if submitted_all.is_set() and unfinished == (0,):
                break
            time.sleep(0.02)
        else:
            pytest.fail("the schedulers did not finish within two minutes")
    finally:
        stop.set()
        submitted_all.set()
    reports = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    submitted = preloaded + reports.pop("submitter")
    claims = Counter(job_id for claimed in reports.values() for job_id in claimed)
    assert len(submitted) == 2000
    assert [job_id for job_id, times in claims.items() if times > 1] == []
    assert set(claims) == set(submitted)
    assert all(reports[name] for name in ("everything-1", "small-1", "some-users"))
    assert most_waiting <= 2
    assert db.execute("SELECT * FROM limit_audit").fetchall() == []
    moves = db.execute(
        "SELECT job_id, count(*) FROM job_event WHERE from_status = 'PENDING'"
        " AND to_status = 'WAITING' GROUP BY job_id HAVING count(*) <> 1"
    ).fetchall()
    assert moves == []


def killed_claimer(conninfo: str, results: Any) -> None:
    store = _store(conninfo)
    with store.connection() as conn:
        results.put([job.id for job in claim_circuit_jobs(conn)])
        time.sleep(120)  # killed here, with the claim's transaction still open


def test_a_claimer_killed_mid_claim_loses_no_job(
    store: JobStore, conninfo: str, db: psycopg.Connection
) -> None:
    _set_up_portal(store, db)
    submitted = _submit(store, 30, seed=7)
    results = SPAWN.Queue()
    victim = SPAWN.Process(target=killed_claimer, args=(conninfo, results))
    victim.start()
    held = results.get(timeout=60)
    assert held
    assert store.claim_jobs() == []  # the victim still holds those groups
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    victim.join(timeout=30)
    assert db.execute("SELECT count(*) FROM circuit_job WHERE status = 'PENDING'").fetchone() == (
        len(submitted),
    )
    deadline, taken = time.monotonic() + 30, []
    while not taken and time.monotonic() < deadline:  # until the server has noticed the kill
        taken = [job.id for job in store.claim_jobs()]
        time.sleep(0.05)
    assert taken == held


def test_thousands_of_groups_in_one_claim(store: JobStore, db: psycopg.Connection) -> None:
    groups = 8000  # more than the server's shared lock table holds (64 x 100 connections)
    db.execute(
        "INSERT INTO \"user\" (identity) SELECT 'u' || n FROM generate_series(1, %s) AS n",
        (groups,),
    )
    # Plain INSERTs of the attributes only, as another client of the portal's tables would.
    db.execute("INSERT INTO budget (name, owner) VALUES ('everyone', 'u1')")
    db.execute("INSERT INTO target_specification (name) VALUES ('t')")
    db.execute(
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification) SELECT 1, 'c', 'qasm2', identity, 'everyone', 't'"
        ' FROM "user" CROSS JOIN generate_series(1, 3)'
    )
    claimed = store.claim_jobs()
    assert len(claimed) == 2 * groups
    assert len({job.owner for job in claimed}) == groups
