"""A claim's cost follows the pending queue, not the finished history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from mqp_jobs import ClaimFilter, JobStore, PoolSettings
from mqp_jobs.queries import query
from mqp_jobs.rules import MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE, MAX_QUEUING_TIME


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(db: psycopg.Connection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    statement = sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(query(name))
    [[document]] = db.execute(statement, params).fetchall()
    parsed = document if isinstance(document, list) else json.loads(document)
    return list(_nodes(parsed[0]["Plan"]))


def test_the_claim_reads_pending_jobs_through_the_partial_index(
    store: JobStore, db: psycopg.Connection
) -> None:
    store.create_user("alice")
    store.create_budget("grant", "alice")
    store.create_target_spec("t", None)
    db.execute(
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification, status) SELECT 1, 'c', 'qasm2', 'alice', 'grant', 't',"
        " CASE WHEN n % 2 = 0 THEN 'COMPLETED' ELSE 'CANCELLED' END"
        " FROM generate_series(1, 50000) AS n"
    )
    db.execute(
        "INSERT INTO hamiltonian_job (interaction_str, coefficients_str, owner, budget,"
        " target_specification, status) SELECT 'Z0', '[1]', 'alice', 'grant', 't', 'COMPLETED'"
        " FROM generate_series(1, 20000)"
    )
    for _ in range(20):
        store.create_job(1, "c", "alice", "grant", "t", "qasm2")
        store.create_hamiltonian_job("Z0", "[1]", "alice", "grant", "t")
    db.execute("ANALYZE")
    params = {
        "job_ids": None,
        "owners": None,
        "excluded_owners": None,
        "resource": None,
        "excluded_resources": None,
        "reserved_resource": None,
        "reserved_for": None,
        "limit": None,
        "window": None,
        "by_group": False,
        "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
        "max_queuing_time": MAX_QUEUING_TIME,
        "zone": "+00:00:00",
    }
    nodes = _explain(db, "lock_claim_line", params)
    on_jobs = [n for n in nodes if n.get("Relation Name") == "circuit_job"]
    assert {n["Index Name"] for n in on_jobs if "Index Name" in n} >= {"circuit_job_pending_fifo"}
    assert [n for n in on_jobs if n["Node Type"] == "Seq Scan"] == []

    moved = _explain(
        db,
        "move_claimed_jobs",
        {
            "job_ids": [1, 2, 3],
            "owners": ["alice"] * 3,
            "targets": ["t"] * 3,
            "max_active": 2,
            "max_queuing_time": MAX_QUEUING_TIME,
            "zone": "+00:00:00",
        },
    )
    # (the one-row reference tables may be scanned; the job table must not be)
    assert [
        n for n in moved if n.get("Relation Name") == "circuit_job" and n["Node Type"] == "Seq Scan"
    ] == []
    hamiltonian = _explain(db, "claim_hamiltonian_jobs", {"limit": 10, "zone": "+00:00:00"})
    assert "hamiltonian_job_pending_fifo" in {n.get("Index Name") for n in hamiltonian}


def test_only_the_unfiltered_pick_runs_a_generic_plan(conninfo: str) -> None:
    """A prepared statement falls back to a generic plan, whose cost no longer depends on which
    filters are set: the filtered pick (lock_claim_groups) is never prepared. The unfiltered
    one has no filter to depend on; the store runs its generic plan, and only within the claim's
    own transaction. The move, whose plan is the same for every claim, is prepared too."""
    store = JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=1)).open()
    store.create_user("alice")
    store.create_budget("grant", "alice")
    store.create_target_spec("t", None)
    for n in range(12):
        job = store.create_job(1, "c", "alice", "grant", "t", "qasm2")
        where = ClaimFilter(users=["alice"]) if n % 2 else None
        assert [claimed.id for claimed in store.claim_jobs(where, limit=5)] == [job.id]
        store.fail_job(job.id, "test")
    with store.connection() as conn:
        prepared = {
            statement: (generic, custom)
            for statement, generic, custom in conn.execute(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            )
        }
        mode = conn.execute("SHOW plan_cache_mode").fetchone()
    store.close()
    assert mode == ("auto",)  # the claim's setting ended with it
    assert any("INSERT INTO circuit_job" in s for s in prepared)  # others are prepared
    picks = {s: plans for s, plans in prepared.items() if "FOR UPDATE OF g SKIP LOCKED" in s}
    assert [s.splitlines()[0] for s in picks] == [
        "-- First statement of an unfiltered circuit claim (or of one over given job ids): pick "
        "the jobs"
    ]
    assert list(picks.values()) == [(6, 0)]  # every unfiltered claim, on its generic plan
    assert [s for s in prepared if "FROM admitted AS a" in s]  # the move


def test_both_picks_end_in_the_same_text() -> None:
    """The unfiltered claim's statement and the one that serves every filter differ only in how
    they read the candidates: from `placed` on (the limit, the group locks, what they return)
    they are the same text, so the two cannot come to apply the limit differently."""
    line, groups = (query(name) for name in ("lock_claim_line", "lock_claim_groups"))
    start, end = "\nplaced AS (", "AS ungrouped"
    assert line.count(start) == groups.count(start) == 1
    shared = groups[groups.index(start) :]
    assert shared.rstrip().endswith(end)
    assert line[line.index(start) :].startswith(shared)
