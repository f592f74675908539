"""Pointing the package at a database, and what a caller sees when it cannot be reached."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import pytest
from conftest import Portal
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

import mqp_jobs
from mqp_jobs import DatabaseUnavailable, InvalidArgument, JobStore, PoolSettings

NOWHERE = "host=127.0.0.1 port=1 dbname=nowhere user=nobody"


def test_module_functions_use_the_configured_database(
    api: None, conninfo: str, db: psycopg.Connection
) -> None:
    mqp_jobs.create_user("carol")
    mqp_jobs.create_budget("carol-grant", "carol")
    mqp_jobs.create_resource("qpu-c")
    mqp_jobs.create_target_spec("target-c", "qpu-c")
    job = mqp_jobs.create_job(10, "c", "carol", "carol-grant", "target-c", "qasm2")
    assert mqp_jobs.fetch_by_identity("carol") == [job]
    assert db.execute("SELECT count(*) FROM circuit_job").fetchone() == (1,)


def test_the_default_store_reads_mqp_database_url(
    conninfo: str, monkeypatch: pytest.MonkeyPatch, db: psycopg.Connection
) -> None:
    monkeypatch.setenv("MQP_DATABASE_URL", conninfo)
    store = mqp_jobs.configure()
    try:
        mqp_jobs.create_user("dave")
        assert store.conninfo == conninfo
    finally:
        mqp_jobs.close()
    assert db.execute('SELECT identity FROM "user"').fetchall() == [("dave",)]


def test_without_mqp_database_url_the_portals_variables_are_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MQP_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUANTUM_DB_USER", "portal")
    monkeypatch.setenv("QUANTUM_DB_PASS", "s3cret word")
    monkeypatch.setenv("QUANTUM_DB_HOST", "db.portal.example")
    assert conninfo_to_dict(mqp_jobs.resolve_conninfo(None)) == {
        "dbname": "quantumdb",
        "user": "portal",
        "password": "s3cret word",
        "host": "db.portal.example",
    }
    # $MQP_DATABASE_URL, then an explicit argument, take precedence.
    monkeypatch.setenv("MQP_DATABASE_URL", "dbname=elsewhere")
    assert mqp_jobs.resolve_conninfo(None) == "dbname=elsewhere"
    assert mqp_jobs.resolve_conninfo("dbname=mine") == "dbname=mine"
    for name in ("MQP_DATABASE_URL", "QUANTUM_DB_USER", "QUANTUM_DB_PASS", "QUANTUM_DB_HOST"):
        monkeypatch.delenv(name)
    assert mqp_jobs.resolve_conninfo(None) == ""


def test_a_callers_pool_is_used_and_left_open(conninfo: str, portal: Portal) -> None:
    with ConnectionPool(conninfo, min_size=1, max_size=2, open=True) as pool:
        mqp_jobs.configure(pool=pool)
        assert mqp_jobs.fetch_by_identity(portal.alice) == []
        mqp_jobs.configure(conninfo)  # replaces the default store
        assert not pool.closed
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    mqp_jobs.close()


def test_a_store_over_an_explicit_pool(conninfo: str, portal: Portal) -> None:
    with ConnectionPool(conninfo, min_size=1, max_size=2, open=True) as pool:
        with JobStore(pool=pool) as store:
            store.create_user("erin")
        assert not pool.closed


def test_an_unreachable_database_names_what_was_tried() -> None:
    store = JobStore(NOWHERE, settings=PoolSettings(connect_timeout=2))
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as caught:
        store.open()
    assert time.monotonic() - started < 15
    message = str(caught.value)
    for part in ("host 127.0.0.1", "port 1", "database nowhere", "user nobody"):
        assert part in message
    store.close()


def test_migrate_on_an_unreachable_database_names_it() -> None:
    with pytest.raises(DatabaseUnavailable, match="port 1 database nowhere"):
        mqp_jobs.migrate(NOWHERE)


@pytest.mark.parametrize("url", ["postgresql://[broken", "host=x port", "dbname='unterminated"])
def test_a_malformed_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid database URL"):
        mqp_jobs.configure(url)


def test_a_forked_child_opens_its_own_pool(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    store.fetch_by_identity(portal.alice)  # the parent's pool is open
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            store.create_user("forked")
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.execute("SELECT 1 FROM \"user\" WHERE identity = 'forked'").fetchone() == (1,)
    assert store.fetch_by_identity(portal.alice) == []  # the parent's pool still works


@pytest.fixture
def cli_env(conninfo: str) -> Iterator[dict[str, str]]:
    yield {**os.environ, "MQP_DATABASE_URL": conninfo}


def test_the_command_line_migrates(cli_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mqp_jobs.cli", "migrate"],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_the_command_line_reports_an_unreachable_server_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mqp_jobs.cli", "--database-url", NOWHERE, "migrate"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "port 1" in done.stderr
