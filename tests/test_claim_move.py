"""The claim's second statement between two transactions: what it leaves locked, what it
re-reads, and maintenance switched between the claim's statements."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from conftest import Portal
from helpers import status_of, submit

from mqp_jobs import JobStore, claims
from mqp_jobs.queries import query
from mqp_jobs.rules import MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE, MAX_QUEUING_TIME


def _between_statements(monkeypatch: pytest.MonkeyPatch, action: Any) -> None:
    """Run ``action`` (committed elsewhere) after the claim's last first-statement run."""
    real = claims._pick

    def pick(conn: psycopg.Connection, statement: str, params: Any) -> Any:
        found = real(conn, statement, params)  # type: ignore[arg-type]
        if found.job_ids:
            action()
        return found

    monkeypatch.setattr(claims, "_pick", pick)


def _row_locked(db: psycopg.Connection, job_id: int) -> bool:
    try:
        with db.transaction():
            db.execute("SELECT 1 FROM circuit_job WHERE id = %s FOR UPDATE NOWAIT", (job_id,))
        return False
    except psycopg.errors.LockNotAvailable:
        return True


@pytest.mark.parametrize("change", ["re-targeted", "re-owned", "maintenance on"])
def test_a_job_the_move_drops_is_not_left_row_locked(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """A job the move drops (changed between the claim's two statements) is not row-locked by
    the claim: a claim of given jobs runs in the caller's transaction, which may stay open."""
    job = submit(store, portal, queued=(change == "maintenance on"))
    sql = {
        "re-targeted": (
            "UPDATE circuit_job SET target_specification = %s WHERE id = %s",
            (portal.sim_target, job.id),
        ),
        "re-owned": ("UPDATE circuit_job SET owner = %s WHERE id = %s", (portal.bob, job.id)),
        "maintenance on": ("UPDATE resource SET maintenance = true WHERE name = %s", (portal.qpu,)),
    }[change]
    _between_statements(monkeypatch, lambda: db.execute(*sql))
    with psycopg.connect(conninfo) as caller:  # the caller's transaction stays open
        assert claims.filter_queued_if_offline_and_fetch(caller, [job.id]) == []
        monkeypatch.undo()
        assert status_of(db, "circuit_job", job.id) == "PENDING"
        assert not _row_locked(db, job.id), "a job the claim did not move is still row-locked"
        caller.rollback()


def test_a_job_the_move_drops_is_claimable_by_its_new_groups_claimer(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A job re-targeted between the claim's statements goes to its new group's claimer while
    the first claim's transaction is still open."""
    job = submit(store, portal)
    _between_statements(
        monkeypatch,
        lambda: db.execute(
            "UPDATE circuit_job SET target_specification = %s WHERE id = %s",
            (portal.sim_target, job.id),
        ),
    )
    with psycopg.connect(conninfo) as caller:
        assert claims.filter_queued_if_offline_and_fetch(caller, [job.id]) == []
        monkeypatch.undo()
        # another scheduler claims the job's new group while the caller's transaction is open
        assert [j.id for j in store.claim_jobs()] == [job.id]
        caller.rollback()


_SLOW_MOVE = query("move_claimed_jobs").replace(
    "AS g (id, owner, target_specification)\n)",
    "AS g (id, owner, target_specification)\n    WHERE pg_sleep(1) IS NOT NULL\n)",
)


@pytest.mark.parametrize(
    "change, commit, moves",
    [
        ("UPDATE circuit_job SET status = 'CANCELLED' WHERE id = %s", True, False),
        (
            "UPDATE circuit_job SET target_specification = 'target-any-simulator' WHERE id = %s",
            True,
            False,
        ),
        ("UPDATE circuit_job SET note = 'x' WHERE id = %s", True, True),
        ("UPDATE circuit_job SET status = 'CANCELLED' WHERE id = %s", False, False),
    ],
)
def test_the_move_rechecks_the_newest_row_version_and_skips_a_locked_one(
    store: JobStore, portal: Portal, conninfo: str, change: str, commit: bool, moves: bool
) -> None:
    """A change committed after the move's snapshot, before it reaches the row: the move
    checks the newest version (a cancel or a re-target drops the job, a note does not); a
    change not yet committed is skipped, not waited for."""
    assert query("move_claimed_jobs") != _SLOW_MOVE
    job = submit(store, portal)
    result: dict[str, Any] = {}
    with psycopg.connect(conninfo) as mover, psycopg.connect(conninfo) as other:

        def move() -> None:
            result["rows"] = mover.execute(
                _SLOW_MOVE,  # type: ignore[arg-type]
                {
                    "job_ids": [job.id],
                    "owners": [job.owner],
                    "targets": [job.target_specification],
                    "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
                    "max_queuing_time": MAX_QUEUING_TIME,
                    "zone": "+00:00:00",
                },
                prepare=False,
            ).fetchall()
            mover.commit()

        worker = threading.Thread(target=move)
        worker.start()
        time.sleep(0.3)
        other.execute(change, (job.id,))  # type: ignore[arg-type]
        if commit:
            other.commit()
        worker.join(10)
        # Done while the other transaction is still open: a move that waited for its lock
        # would still be waiting here.
        finished_while_open = not worker.is_alive()
        other.rollback()
        worker.join(10)
    assert finished_while_open
    assert bool(result["rows"]) is moves


@pytest.mark.parametrize("flip", ["on after the line pick", "off after streams_needed"])
def test_maintenance_flipping_between_the_unfiltered_claims_statements(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    flip: str,
) -> None:
    """Maintenance switched on after the line was read: the move holds the queued job back.
    Switched off after the line asked for streams: the streams read sees it and lets it go."""
    young = submit(store, portal, queued=True)
    free = submit(store, portal, by=portal.bob)
    store.set_resource_maintenance(portal.qpu, flip != "on after the line pick")
    real = claims._pick
    ways: list[str] = []

    def pick(conn: psycopg.Connection, statement: str, params: Any) -> Any:
        found = real(conn, statement, params)  # type: ignore[arg-type]
        ways.append("line" if statement == query("lock_claim_line") else "groups")
        if len(ways) == 1:  # one flip, after the first statement's first run
            db.execute(
                "UPDATE resource SET maintenance = NOT maintenance WHERE name = %s", (portal.qpu,)
            )
        return found

    monkeypatch.setattr(claims, "_pick", pick)
    got = [j.id for j in store.claim_jobs()]
    monkeypatch.undo()
    if flip == "on after the line pick":
        assert ways == ["line"] and got == [free.id]
    else:
        assert ways == ["line", "groups"] and got == [young.id, free.id]


# lock_claim_jobs with a 1 s pause after its snapshot, before it locks any group row.
_SLOW_PICK = query("lock_claim_jobs").replace(
    "WHERE j.id = ANY (%(job_ids)s::bigint[])",
    "WHERE j.id = ANY (%(job_ids)s::bigint[]) AND (SELECT pg_sleep(1)) IS NOT NULL",
)


def test_jobs_the_move_drops_for_the_limit_are_not_left_row_locked(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Claimer A moves Alice's two oldest jobs and commits while a claim of given jobs (the
    third and fourth) is between its pick's snapshot and its group lock. That pick counted no
    WAITING job and picked both; the move counts two, admits neither, and locks neither: a
    cancel of either does not wait for the caller's open transaction."""
    jobs = [submit(store, portal) for _ in range(4)]
    a = psycopg.connect(conninfo)
    moved = claims.claim_circuit_jobs(a)  # A holds Alice's group, 2 jobs moved, not committed
    assert [j.id for j in moved] == [jobs[0].id, jobs[1].id]
    monkeypatch.setattr(claims, "_LOCK_CLAIM_JOBS", _SLOW_PICK)
    committer = threading.Thread(target=lambda: (time.sleep(0.3), a.commit()))
    with psycopg.connect(conninfo) as caller:
        committer.start()
        got = claims.filter_queued_if_offline_and_fetch(caller, [jobs[2].id, jobs[3].id])
        committer.join(10)
        a.close()
        monkeypatch.undo()
        assert got == []
        assert [status_of(db, "circuit_job", j.id) for j in jobs[2:]] == ["PENDING"] * 2
        assert [_row_locked(db, j.id) for j in jobs[2:]] == [False, False]
        with psycopg.connect(conninfo, autocommit=True) as canceller:
            canceller.execute("SET lock_timeout = '300ms'")
            canceller.execute(
                "UPDATE circuit_job SET status = 'CANCELLED' WHERE id = %s", (jobs[2].id,)
            )
        caller.rollback()
