"""What a claim reads: with limit=k, O(k + the groups it passes over) rows of circuit_job,
whatever one user's backlog, the held jobs of a target in maintenance, the filter or the
finished history. Each shape is built at two sizes; the rows the claim's first statement reads
(EXPLAIN ANALYZE: rows returned plus rows removed by a filter, over every loop of every scan
of circuit_job) must not grow with it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg
import pytest
from psycopg import sql

from mqp_jobs import ClaimFilter, JobStore, claims
from mqp_jobs.queries import query
from mqp_jobs.rules import MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE, MAX_QUEUING_TIME

_EXPLAIN = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ")
_RULES = {
    "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
    "max_queuing_time": MAX_QUEUING_TIME,
    "zone": "+00:00:00",
}
_WAYS = {query("lock_claim_line"): "line", query("lock_claim_groups"): "streams"}
_INSERT = (
    "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
    " target_specification, status, queued, timestamp_submitted)"
    " SELECT 1, 'c', 'qasm2', %(owner)s || coalesce((n %% %(owners)s)::text, ''), 'grant',"
    " %(target)s, %(status)s, %(queued)s,"
    " localtimestamp - interval '2 hours' + (%(start)s + n) * interval '1 millisecond'"
    " FROM generate_series(1, %(count)s) AS n"
)


def _nodes(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def rows_read(document: Any) -> int:
    """Rows of circuit_job that a statement's plan read: returned or removed by a filter."""
    parsed = document if isinstance(document, list) else json.loads(document)
    total = 0.0
    for node in _nodes(parsed[0]["Plan"]):
        if node.get("Relation Name") != "circuit_job":
            continue
        per_loop = (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        )
        total += per_loop * node.get("Actual Loops", 0)
    return round(total)


def claim_cost(
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
    where: ClaimFilter,
    limit: int | None,
    ways: list[str] | None = None,
) -> tuple[int, list[tuple[str, int]]]:
    """Rows read by every run of the first statement of a real claim (rolled back), and the
    (owner, id) of the jobs it would move; ``ways`` collects the statements run."""
    real = claims._pick
    read: list[int] = []
    ways = [] if ways is None else ways

    def pick(conn: psycopg.Connection[Any], statement: str, params: Mapping[str, object]) -> Any:
        explain = _EXPLAIN + sql.SQL(statement)  # type: ignore[arg-type]
        [[document]] = conn.execute(explain, params, prepare=False).fetchall()
        read.append(rows_read(document))
        ways.append("groups" if params["by_group"] else _WAYS[statement])
        return real(conn, statement, params)

    monkeypatch.setattr(claims, "_pick", pick)
    with psycopg.connect(conninfo) as conn:
        jobs = claims.claim_circuit_jobs(conn, where, limit)
        conn.rollback()
    monkeypatch.setattr(claims, "_pick", real)
    return sum(read), [(str(job.owner), job.id) for job in jobs]


def add_jobs(
    db: psycopg.Connection[Any],
    *,
    owner: str,
    count: int,
    start: int,
    target: str = "t-a",
    owners: int | None = None,
    status: str = "PENDING",
    queued: bool = False,
) -> None:
    """``count`` jobs submitted one millisecond apart from ``start`` ms after the shape's
    origin; spread over users owner0..owner{owners-1}, or all of ``owner``."""
    db.execute(
        _INSERT,
        {
            "owner": owner,
            "owners": owners,
            "target": target,
            "status": status,
            "queued": queued,
            "start": start,
            "count": count,
        },
    )
    db.execute("ANALYZE circuit_job")


@pytest.fixture
def portal(store: JobStore) -> JobStore:
    """Users heavy and u0..u49, resources qpu-a, qpu-b, qpu-m (in maintenance)."""
    store.create_user("heavy")
    store.create_budget("grant", "heavy")
    for n in range(50):
        store.create_user(f"u{n}")
    for resource, target in (("qpu-a", "t-a"), ("qpu-b", "t-b"), ("qpu-m", "t-m")):
        store.create_resource(resource)
        store.create_target_spec(target, resource)
    store.set_resource_maintenance("qpu-m", True)
    return store


def _others_later(db: psycopg.Connection[Any], start: int, target: str = "t-a") -> None:
    """100 jobs of users u0..u49 (two each), submitted after everything else."""
    add_jobs(db, owner="u", owners=50, count=100, start=start, target=target)


@pytest.fixture(params=[True, False], ids=["a-target-in-maintenance", "none-in-maintenance"])
def maintenance(portal: JobStore, request: pytest.FixtureRequest) -> bool:
    """qpu-m (no jobs in these tests) in maintenance or not: an unfiltered claim then reads by
    streams (lock_claim_groups) or along the whole line (lock_claim_line)."""
    portal.set_resource_maintenance("qpu-m", bool(request.param))
    return bool(request.param)


def test_a_backlog_at_the_head_of_the_line_is_skipped(
    portal: JobStore,
    maintenance: bool,
    db: psycopg.Connection[Any],
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shape 5: one user's backlog first in line, its two slots full."""
    add_jobs(db, owner="heavy", count=2, start=0, status="WAITING")
    add_jobs(db, owner="heavy", count=20_000, start=10)
    _others_later(db, 1_000_000)
    ways: list[str] = []
    small, jobs = claim_cost(conninfo, monkeypatch, ClaimFilter(), 10, ways)
    # The window is taken by the backlog: the claim reads again by groups.
    assert ways == (["line", "streams", "groups"] if maintenance else ["line", "groups"])
    assert len(jobs) == 10 and all(owner != "heavy" for owner, _ in jobs)
    assert jobs == sorted(jobs, key=lambda j: j[1])
    add_jobs(db, owner="heavy", count=80_000, start=100_000)
    large, again = claim_cost(conninfo, monkeypatch, ClaimFilter(), 10)
    assert again == jobs
    # 51 groups with pending jobs, limit 10: a window of 64 and a few rows per group.
    assert small == large
    assert large <= 64 + 2 + 8 * 51


def test_held_jobs_are_not_read(
    portal: JobStore, db: psycopg.Connection[Any], conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shape 6: queued jobs held back by a maintenance window, first in line."""
    add_jobs(db, owner="u", owners=50, count=5_000, start=0, target="t-m", queued=True)
    _others_later(db, 1_000_000, "t-b")
    small, jobs = claim_cost(conninfo, monkeypatch, ClaimFilter(), 10)
    assert len(jobs) == 10
    add_jobs(db, owner="u", owners=50, count=20_000, start=100_000, target="t-m", queued=True)
    large, again = claim_cost(conninfo, monkeypatch, ClaimFilter(), 10)
    assert again == jobs
    assert max(small, large) <= 2 * 64 + 64


@pytest.mark.parametrize(
    "where",
    [
        ClaimFilter(resource="qpu-a", users=[f"u{n}" for n in range(50)]),
        ClaimFilter(resource="qpu-a", not_users=["heavy"]),
        ClaimFilter(not_resources=["qpu-b"]),
        ClaimFilter(reserved_resource="qpu-b", reserved_for=["u1"]),
    ],
    ids=["for-resource-from-users", "for-resource-not-from-users", "except-for", "reserved"],
)
def test_a_filtered_claim_reads_only_the_lines_it_admits(
    portal: JobStore,
    db: psycopg.Connection[Any],
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
    where: ClaimFilter,
) -> None:
    """Shape 7: a per-resource scheduler, with a long finished history and another resource's
    pending jobs ahead of its own."""
    add_jobs(db, owner="u", owners=50, count=20_000, start=0, target="t-a", status="COMPLETED")
    add_jobs(db, owner="u", owners=50, count=5_000, start=100_000, target="t-b")
    _others_later(db, 1_000_000, "t-a")
    small, jobs = claim_cost(conninfo, monkeypatch, where, 10)
    assert len(jobs) == 10
    add_jobs(db, owner="u", owners=50, count=80_000, start=200_000, target="t-a", status="FAILED")
    add_jobs(db, owner="u", owners=50, count=20_000, start=300_000, target="t-b")
    large, again = claim_cost(conninfo, monkeypatch, where, 10)
    assert again == jobs
    assert max(small, large) <= 50 * 4 + 4 * 64


def test_waiting_jobs_are_counted_for_the_candidates_groups_only(
    portal: JobStore,
    maintenance: bool,
    db: psycopg.Connection[Any],
    conninfo: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shape 8: a limit=1 claim beside many WAITING jobs of other groups."""
    add_jobs(db, owner="u", owners=50, count=10_000, start=0, target="t-b", status="WAITING")
    _others_later(db, 1_000_000)
    ways: list[str] = []
    small, jobs = claim_cost(conninfo, monkeypatch, ClaimFilter(), 1, ways)
    assert ways == (["line", "streams"] if maintenance else ["line"])
    assert len(jobs) == 1
    for n in range(20):  # WAITING jobs of many more groups (one per user and target)
        portal.create_target_spec(f"t{n}", None)
        add_jobs(db, owner="u", owners=50, count=2_000, start=0, target=f"t{n}", status="WAITING")
    large, again = claim_cost(conninfo, monkeypatch, ClaimFilter(), 1)
    assert again == jobs
    # A window of 64 candidates and the WAITING jobs of their groups (none here).
    assert max(small, large) <= 64 + 64


def test_the_move_reads_each_picked_job_by_its_key_whatever_the_statistics(
    portal: JobStore, db: psycopg.Connection[Any], conninfo: str
) -> None:
    """A burst of submissions that the statistics do not know about yet (they were taken when
    no job was pending, and no ANALYZE has run since): the claim's first statement still reads
    only its window, and its second reads the picked jobs by primary key, a few rows each, not
    a pending index per job (20,200 rows before it was written to)."""
    portal.set_resource_maintenance("qpu-m", False)
    add_jobs(db, owner="u", owners=50, count=20_000, start=0, status="COMPLETED")
    db.execute("ALTER TABLE circuit_job SET (autovacuum_enabled = false)")
    db.execute(
        _INSERT,
        {
            "owner": "u",
            "owners": 50,
            "target": "t-a",
            "status": "PENDING",
            "queued": False,
            "start": 100_000,
            "count": 20_000,
        },
    )
    with psycopg.connect(conninfo) as conn:
        params = {"limit": 100, "window": 400, "by_group": False, **_RULES}
        pick = _EXPLAIN + sql.SQL(query("lock_claim_line"))  # type: ignore[arg-type]
        [[first]] = conn.execute(pick, params, prepare=False).fetchall()
        assert rows_read(first) <= 400  # the window, read along the FIFO index
        picked = claims._pick(conn, query("lock_claim_line"), params)
        assert len(picked.job_ids) == 100  # the first two of each of the 50 groups
        move = _EXPLAIN + sql.SQL(query("move_claimed_jobs"))  # type: ignore[arg-type]
        [[document]] = conn.execute(
            move,
            {
                "job_ids": picked.job_ids,
                "owners": picked.owners,
                "targets": picked.targets,
                **_RULES,
            },
            prepare=False,
        ).fetchall()
        conn.rollback()
    # Each job: its row, its row again to move it, and its group's WAITING jobs (none).
    assert rows_read(document) <= 4 * 100
