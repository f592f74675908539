"""Creating and upgrading the schema, also from two processes at once."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import threading
import time
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
from mqp_jobs.cli import main
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


def test_a_failing_migration_leaves_nothing_of_itself_behind(
    empty_database: str, tmp_path: Path
) -> None:
    folder = tmp_path
    (folder / "0001_ok.sql").write_text("CREATE TABLE first_table (id int);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE second_table (id int); SELECT no_such_column;"
    )
    with pytest.raises(MigrationError, match="no_such_column"):
        module.migrate(empty_database, folder)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT to_regclass('second_table')").fetchone() == (None,)
        assert conn.execute("SELECT version FROM mqp_schema_version").fetchall() == [(1,)]


@pytest.fixture
def portal_database(empty_database: str) -> str:
    """A database holding the portal's tables only, as its ORM left them, with rows that break
    rules of the package: an unknown status, no shots, an empty circuit."""
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute(migrations()[0].path.read_text(encoding="utf-8"))
        conn.execute(
            "INSERT INTO \"user\" VALUES ('ada', '', 'a@x', 'lrz', 'qc', 'BASIC', NULL, NULL,"
            " false, '', '', false, NULL, NULL)"
        )
        conn.execute("INSERT INTO budget VALUES ('grant', '', 'ada', 10)")
        conn.execute("INSERT INTO target_specification VALUES ('t', '', 'spec', '', '', '')")
        conn.execute(
            "INSERT INTO circuit_job (note, status, shots, circuit, circuit_format, no_modify,"
            " timestamp_submitted, cost, result, owner, budget, target_specification,"
            " executed_circuit, queued) VALUES"
            " ('', 'PENDING', 10, 'c', 'qasm', false, localtimestamp, 0, '', 'ada', 'grant', 't',"
            "  '', false),"
            " ('', 'SUBMITTED', 10, 'c', 'qasm', false, localtimestamp, 0, '', 'ada', 'grant',"
            "  't', '', false),"
            " ('', 'COMPLETED', 0, '', 'qasm', false, localtimestamp, NULL, 'r', 'ada', 'grant',"
            "  't', '', false)"
        )
    return empty_database


def _catalog(conninfo: str) -> list[tuple[object, ...]]:
    """Every relation, column, constraint and trigger of the public schema, and every row of
    the job table: what a dry run must leave as it found it."""
    with psycopg.connect(conninfo) as conn:
        found = conn.execute(
            "SELECT c.relname, c.relkind, a.attname, a.atttypid::regtype::text,"
            " pg_get_expr(d.adbin, d.adrelid)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
            " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
            " WHERE n.nspname = 'public' ORDER BY 1, 3"
        ).fetchall()
        found += conn.execute(
            "SELECT conname, convalidated::text, '', '', '' FROM pg_constraint"
            " UNION ALL SELECT tgname, '', '', '', '' FROM pg_trigger ORDER BY 1"
        ).fetchall()
        found += conn.execute(
            "SELECT to_jsonb(circuit_job) - 'attempt' FROM circuit_job ORDER BY id"
        ).fetchall()
    return found


def test_a_dry_run_reports_and_changes_nothing(portal_database: str) -> None:
    before = _catalog(portal_database)
    report = module.inspect(portal_database)
    assert _catalog(portal_database) == before
    assert [m.version for m in report.pending] == [m.version for m in migrations()]
    assert {t.name for t in report.portal_tables} == set(module.PORTAL_TABLES)
    assert {(f.job_table, f.rule, f.rows) for f in report.findings} == {
        ("circuit_job", "status is not a known status", 1),
        ("circuit_job", "shots is not positive", 1),
        ("circuit_job", "circuit is empty", 1),
    }


def test_adoption_keeps_every_row_and_binds_only_new_ones(portal_database: str) -> None:
    with psycopg.connect(portal_database) as conn:
        rows_before = conn.execute(
            "SELECT to_jsonb(circuit_job) - 'attempt' FROM circuit_job"
        ).fetchall()
    assert mqp_jobs.migrate(portal_database) == [m.version for m in migrations()]
    with psycopg.connect(portal_database, autocommit=True) as conn:
        assert conn.execute(
            "SELECT to_jsonb(circuit_job) - 'attempt' FROM circuit_job"
        ).fetchall() == (rows_before)
        # Every job got its claim group; the package's checks exist and bind new rows only.
        assert conn.execute("SELECT count(*) FROM claim_group").fetchone() == (1,)
        with pytest.raises(psycopg.errors.CheckViolation, match="a known status"):
            conn.execute(
                "INSERT INTO circuit_job (status, shots, circuit, circuit_format, owner, budget,"
                " target_specification) VALUES ('SUBMITTED', 1, 'c', 'q', 'ada', 'grant', 't')"
            )
        # The portal may still update the other columns of its old rows that break a rule,
        # but may not write a value that breaks one.
        conn.execute("UPDATE circuit_job SET note = 'seen' WHERE status = 'SUBMITTED'")
        conn.execute("UPDATE circuit_job SET note = 'seen' WHERE shots = 0")
        with pytest.raises(psycopg.errors.CheckViolation, match="a positive number of shots"):
            conn.execute("UPDATE circuit_job SET shots = -1 WHERE status = 'PENDING'")
        with pytest.raises(psycopg.errors.CheckViolation, match="a known status"):
            conn.execute("UPDATE circuit_job SET status = 'ON_HOLD' WHERE status = 'PENDING'")
        # A plain INSERT of the attributes alone works: every other column has a default.
        conn.execute(
            "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
            " target_specification) VALUES (1, 'c', 'q', 'ada', 'grant', 't')"
        )
        assert conn.execute(
            "SELECT status, note, result, executed_circuit, cost, queued FROM circuit_job"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone() == ("PENDING", "", "", "", 0, False)
    # The offending rows are still reported after adoption, never changed.
    assert len(module.inspect(portal_database).findings) == 3
    assert mqp_jobs.migrate(portal_database) == []


def test_migrate_check_on_the_command_line(portal_database: str) -> None:
    before = _catalog(portal_database)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", portal_database, "migrate", "--check"]) == 0
    text = out.getvalue()
    assert (
        "migrate would apply: 0001_portal_tables, 0002_portal_indexes_concurrently,"
        " 0003_job_database" in text
    )
    assert "status is not a known status" in text and "portal tables found: 10 of 10" in text
    assert _catalog(portal_database) == before


def test_an_interrupted_index_build_is_redone(portal_database: str) -> None:
    mqp_jobs.migrate(portal_database)
    with psycopg.connect(portal_database, autocommit=True) as conn:
        # What a build interrupted half-way leaves: an invalid index under the right name
        # (here made by a unique build that fails on the duplicate owners).
        conn.execute("DROP INDEX circuit_job_owner")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "CREATE UNIQUE INDEX CONCURRENTLY circuit_job_owner ON circuit_job (owner)"
            )
        assert conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'circuit_job_owner'::regclass"
        ).fetchone() == (False,)
        conn.execute("DELETE FROM mqp_schema_version WHERE version = 4")
    assert mqp_jobs.migrate(portal_database) == [4]
    with psycopg.connect(portal_database) as conn:
        assert conn.execute(
            "SELECT indisvalid, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indexrelid = 'circuit_job_owner'::regclass"
        ).fetchone() == (
            True,
            "CREATE INDEX circuit_job_owner ON public.circuit_job USING btree (owner, id)",
        )


def test_a_migration_behind_a_long_transaction_gives_up_and_changes_nothing(
    portal_database: str,
) -> None:
    with psycopg.connect(portal_database) as portal:
        portal.execute("SELECT count(*) FROM hamiltonian_job")  # holds its lock until the end
        started = time.monotonic()
        with pytest.raises(MigrationError, match=r"stayed locked by another transaction for 1 s"):
            module.migrate(portal_database, lock_timeout=0.2, lock_patience=1)
        assert time.monotonic() - started < 5
    with psycopg.connect(portal_database) as conn:
        assert conn.execute("SELECT to_regclass('claim_group')").fetchone() == (None,)
        # 0001 and 0002 found the portal's tables and indexes; 0003 left nothing.
        assert conn.execute("SELECT version FROM mqp_schema_version").fetchall() == [(1,), (2,)]
    assert mqp_jobs.migrate(portal_database) == [m.version for m in migrations()][2:]


def test_the_portals_writes_never_queue_long_behind_an_adoption_that_waits(
    portal_database: str,
) -> None:
    """A transaction of the portal holds a table the adoption must alter. The adoption's lock
    waits are short and it rolls back between tries, so writes to the job table, which the
    adoption locks first, never wait for long."""
    worst = 0.0
    done = threading.Event()
    failure: list[BaseException] = []

    def adopt() -> None:
        try:
            module.migrate(portal_database, lock_timeout=0.2, lock_patience=2)
        except BaseException as exc:
            failure.append(exc)
        finally:
            done.set()

    with (
        psycopg.connect(portal_database) as holder,
        psycopg.connect(portal_database, autocommit=True) as writer,
    ):
        holder.execute("SELECT * FROM target_specification")  # left open: holds its lock
        thread = threading.Thread(target=adopt)
        thread.start()
        while not done.is_set():
            started = time.monotonic()
            writer.execute("UPDATE circuit_job SET note = note WHERE id = 1")
            worst = max(worst, time.monotonic() - started)
            time.sleep(0.01)
        thread.join()
    assert failure and isinstance(failure[0], MigrationError)
    assert worst < 1.0, f"a write waited {worst:.2f} s"


def test_adopted_by_another_role_the_tables_owner_still_writes_every_row(
    portal_database: str,
) -> None:
    """The portal's tables belong to the portal's role; an administrator adopts them. The
    package's triggers run as their owner, so the portal's own role keeps writing jobs."""
    role = f"mqp_jobs_portal_{os.getpid()}"
    with psycopg.connect(portal_database, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        try:
            for table in module.PORTAL_TABLES:
                admin.execute(
                    sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                        sql.Identifier(table), sql.Identifier(role)
                    )
                )
            mqp_jobs.migrate(portal_database)  # as the administrator, not the owner
            with psycopg.connect(make_conninfo(portal_database, user=role)) as portal:
                portal.execute(
                    "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
                    " target_specification) VALUES (1, 'c', 'q', 'ada', 'grant', 't')"
                )
                portal.execute("UPDATE circuit_job SET status = 'CANCELLED' WHERE id = 1")
                portal.commit()
            assert admin.execute(
                "SELECT from_status, to_status FROM job_event WHERE job_id = 1 ORDER BY id"
            ).fetchall() == [("PENDING", "CANCELLED")]
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_portal_tables_without_a_column_the_package_needs_are_reported_and_refused(
    portal_database: str,
) -> None:
    with psycopg.connect(portal_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE circuit_job DROP COLUMN queued")
        conn.execute("ALTER TABLE hamiltonian_job ALTER COLUMN cost TYPE bigint")
    report = module.inspect(portal_database)
    assert [str(c) for c in report.columns_missing] == [
        "circuit_job.queued (boolean) is missing",
        "hamiltonian_job.cost (integer) is bigint",
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", portal_database, "migrate", "--check"]) == 0
    assert "circuit_job.queued (boolean) is missing" in out.getvalue()
    before = _catalog(portal_database)
    with pytest.raises(MigrationError, match=r"circuit_job\.queued"):
        mqp_jobs.migrate(portal_database)
    assert _catalog(portal_database) == before


def test_rule_functions_stay_callable_where_default_privileges_withhold_execute(
    empty_database: str,
) -> None:
    """The job tables' triggers and the claims call SQL functions (0003, 0008, 0009) as the
    role that writes. On a database whose default privileges give PUBLIC no EXECUTE, the
    portal's own plain INSERT and the application role's claim keep working."""
    role = f"mqp_jobs_writer_{os.getpid()}"
    with psycopg.connect(empty_database, autocommit=True) as admin:
        admin.execute("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
        mqp_jobs.migrate(empty_database)
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(role)))
        try:
            mqp_jobs.grant_app_role(role, empty_database)
            with mqp_jobs.JobStore(empty_database) as store:
                store.create_user("alice")
                store.create_budget("grant", "alice")
                store.create_resource("qpu-a")
                store.create_target_spec("t", "qpu-a")
            writer = make_conninfo(empty_database, user=role)
            with psycopg.connect(writer, autocommit=True) as conn:
                # As the portal's ORM writes a job: a plain INSERT, the rule triggers firing.
                conn.execute(
                    "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
                    " target_specification) VALUES (1, 'c', 'qasm2', 'alice', 'grant', 't')"
                )
                with pytest.raises(psycopg.errors.CheckViolation, match="a circuit"):
                    conn.execute(
                        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
                        " target_specification) VALUES (1, ' ', 'qasm2', 'alice', 'grant', 't')"
                    )
            with mqp_jobs.JobStore(writer) as store:
                store.create_job(1, "c", "alice", "grant", "t", "qasm2")
                assert len(store.claim_jobs()) == 2
                assert store.queue_stats().total("WAITING") == 2
        finally:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
