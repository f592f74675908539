"""Each scheduling rule has one definition, in SQL, that every statement applying it calls."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from mqp_jobs.queries import sql_dir
from mqp_jobs.rules import MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE, MAX_QUEUING_TIME

PACKAGE = Path(__file__).resolve().parent.parent / "mqp_jobs"
RULES_MIGRATION = "0008_claim_rules.sql"


def _statements() -> dict[str, str]:
    """Every SQL file of the library but the migration that defines the rules."""
    return {
        str(path.relative_to(sql_dir())): path.read_text()
        for path in sql_dir().rglob("*.sql")
        if path.name != RULES_MIGRATION
    }


@pytest.mark.parametrize(
    ("rule", "written_out"),
    [
        # The hold rule's cutoff: now minus MAX_QUEUING_TIME.
        ("hold", re.compile(r"make_interval\s*\(\s*secs\s*=>\s*%\(max_queuing_time\)s")),
        # The hold rule's lookup: a resource's maintenance flag read to hold jobs.
        ("hold", re.compile(r"\w+\.maintenance\b")),
        # The limit's comparison: a place plus a WAITING count against max_active.
        ("limit", re.compile(r"<=?\s*%\(max_active\)s")),
    ],
)
def test_no_statement_writes_a_rule_out_again(rule: str, written_out: re.Pattern[str]) -> None:
    found = [name for name, text in _statements().items() if written_out.search(text)]
    assert found == [], f"the {rule} rule is written out in {found}, not called"


def test_python_does_not_compare_against_the_limit() -> None:
    """The limit's number is passed to SQL, where within_active_job_limit compares. (The
    demo and the benchmark check the limit held; they do not apply it.)"""
    tools = {"demo.py", "bench.py", "bench_adoption.py", "bench_pgqueuer.py", "report.py"}
    for path in PACKAGE.glob("*.py"):
        if path.name in tools:
            continue
        text = path.read_text()
        assert not re.search(r"[<>]=?\s*MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE", text), path.name


def test_the_claim_statements_call_the_rules() -> None:
    statements = _statements()
    claim = ("lock_claim_line.sql", "lock_claim_jobs.sql", "lock_claim_groups.sql")
    for name in (*claim, "move_claimed_jobs.sql"):
        assert "target_maintenance()" in statements[name]
        assert "within_active_job_limit(" in statements[name]
        # The line is read only while no target is in maintenance: no job is held there.
        assert ("job_held(" in statements[name]) == (name != "lock_claim_line.sql")
    assert "job_held(" in statements["queue_stats.sql"]
    assert "within_active_job_limit(" in statements["group_within_active_job_limit.sql"]


def _held(db: psycopg.Connection, queued: bool, age: float, in_maintenance: bool | None) -> bool:
    found = db.execute(
        "SELECT job_held(%s, localtimestamp - make_interval(secs => %s), %s, %s, %s::interval)",
        (queued, age, in_maintenance, MAX_QUEUING_TIME, "+00:00:00"),
    ).fetchone()
    assert found is not None
    return bool(found[0])


def test_the_hold_rule(db: psycopg.Connection) -> None:
    db.execute("SET TIME ZONE 'UTC'")
    young, old = MAX_QUEUING_TIME - 60, MAX_QUEUING_TIME + 60
    assert _held(db, True, young, True)
    assert not _held(db, True, old, True)  # waited long enough: treated as usual
    assert not _held(db, False, young, True)  # not queued: never held
    assert not _held(db, True, young, False)
    assert not _held(db, True, young, None)  # no target row: not in maintenance


def test_a_target_without_a_resource_row_is_not_in_maintenance(db: psycopg.Connection) -> None:
    db.execute("INSERT INTO resource (name, maintenance) VALUES ('down', true), ('up', false)")
    db.execute(
        "INSERT INTO target_specification (name, resource_name) VALUES"
        " ('on-down', 'down'), ('on-up', 'up'), ('by-technology', ''), ('unknown', 'nowhere')"
    )
    found = dict(db.execute("SELECT name, in_maintenance FROM target_maintenance()").fetchall())
    assert found == {"on-down": True, "on-up": False, "by-technology": False, "unknown": False}


@pytest.mark.parametrize(
    ("place", "waiting", "allowed"),
    [(1, 0, True), (2, 0, True), (3, 0, False), (1, 1, True), (1, 2, False), (2, 1, False)],
)
def test_the_active_job_limit(
    db: psycopg.Connection, place: int, waiting: int, allowed: bool
) -> None:
    assert MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE == 2  # the cases above are written for 2
    found = db.execute(
        "SELECT within_active_job_limit(%s, %s, %s)",
        (place, waiting, MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE),
    ).fetchone()
    assert found == (allowed,)
