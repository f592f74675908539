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


def test_claims_are_planned_afresh_each_time(conninfo: str) -> None:
    """A prepared statement falls back to a generic plan after five runs, which cannot see which
    filters are NULL and, made while the job table was small, keeps reading it as if it still
    were until the next ANALYZE (measured: a limit=10 claim took 122 ms instead of 11 ms once
    60,000 rows had come in). No statement of a claim is prepared."""
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
        prepared = [s for (s,) in conn.execute("SELECT statement FROM pg_prepared_statements")]
    store.close()
    assert any("INSERT INTO circuit_job" in s for s in prepared)  # others are prepared
    claim_statements = ("FOR UPDATE OF g SKIP LOCKED", "FROM admitted AS a")
    assert not [s for s in prepared if any(part in s for part in claim_statements)]


def test_the_picks_end_in_the_same_text_and_return_the_same_columns(db: psycopg.Connection) -> None:
    """The three first statements differ only in how they read the candidates: from `placed` on
    (the limit, the group locks, what they return) they are the same text, so that they cannot
    come to apply the limit differently; and none returns a column twice or one more than the
    claim reads (a second `window_full` would silently win over the first)."""
    start, end = "\nplaced AS (", "AS ungrouped"
    texts = {
        name: query(name) for name in ("lock_claim_line", "lock_claim_jobs", "lock_claim_groups")
    }
    tails = set()
    for name, text in texts.items():
        assert text.count(start) == 1 and text.count(end) == 1, name
        tails.add(text[text.index(start) : text.index(end)])
    assert len(tails) == 1
    shared = ["job_ids", "owners", "targets", "window_full", "ungrouped"]
    params = {
        "owners": None,
        "excluded_owners": None,
        "resource": None,
        "excluded_resources": None,
        "reserved_resource": None,
        "reserved_for": None,
        "job_ids": [1],
        "limit": 1,
        "window": 64,
        "by_group": False,
        "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
        "max_queuing_time": MAX_QUEUING_TIME,
        "zone": "+00:00:00",
    }
    for name, text in texts.items():
        with db.cursor() as cur:
            cur.execute(text, params, prepare=False)  # type: ignore[arg-type]
            columns = [column.name for column in cur.description or []]
        extra = ["streams_needed"] if name == "lock_claim_line" else []
        assert columns == shared + extra, name
