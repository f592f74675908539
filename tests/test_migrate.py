"""Creating and upgrading the schema, also from two processes at once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import HOST, PORT, USER
from psycopg import sql
from psycopg.conninfo import make_conninfo

import mqp_jobs
from mqp_jobs import MigrationError
from mqp_jobs import migrations as module
from mqp_jobs.migrations import migrations


def test_migrating_an_up_to_date_database_does_nothing(
    conninfo: str, db: psycopg.Connection
) -> None:
    assert mqp_jobs.migrate(conninfo) == []
    versions = db.execute(
        "SELECT version, name FROM mqp_schema_version ORDER BY version"
    ).fetchall()
    assert versions == [(m.version, m.name) for m in migrations()]


@pytest.fixture
def empty_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with nothing in it, dropped after the test."""
    name = f"mqp_jobs_empty_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = psycopg.connect(host=HOST, port=PORT, user=USER, dbname="postgres", autocommit=True)
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(host=HOST, port=PORT, user=USER, dbname=name)
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


def _migrate(conninfo: str) -> list[int]:
    return mqp_jobs.migrate(conninfo)


def test_two_processes_migrating_at_once_apply_each_version_once(empty_database: str) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as workers:
        results = workers.map(_migrate, [empty_database] * 4)
    everything = [m.version for m in migrations()]
    assert sorted(results) == [[], [], [], everything]
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT count(*) FROM mqp_schema_version").fetchone() == (
            len(everything),
        )
        assert conn.execute("SELECT count(*) FROM circuit_job").fetchone() == (0,)


def test_a_failing_migration_leaves_nothing_behind(empty_database: str, tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "0001_ok.sql").write_text("CREATE TABLE first_table (id int);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE second_table (id int); SELECT no_such_column;"
    )
    with pytest.raises(MigrationError, match="no_such_column"):
        module.migrate(empty_database, folder)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT to_regclass('first_table')").fetchone() == (None,)
