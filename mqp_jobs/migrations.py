"""Creating, adopting and upgrading the schema from the numbered files in sql/schema/.

``0001`` creates the portal's tables where they are missing (on a portal database it finds
them all and does nothing); later files add the package's own objects. A file whose name ends
in ``_concurrently`` holds only ``CREATE INDEX CONCURRENTLY`` statements: they run one by one
outside any transaction, so the portal keeps writing while a large table is indexed. The other
files run each in a transaction of its own, with a lock timeout, so a failing file leaves
nothing of itself behind and a long transaction of the portal makes the migration give up
instead of stalling the portal.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from mqp_jobs.connection import describe, is_connection_error, resolve_conninfo, unavailable
from mqp_jobs.errors import InvalidArgument, MigrationError, SchemaMissing
from mqp_jobs.execute import Conn, column, rows, value
from mqp_jobs.queries import query, sql_dir
from mqp_jobs.validation import shown, text

_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_CONCURRENT_INDEX = re.compile(
    r'CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+"?([a-z_][a-z0-9_]*)"?\s',
    re.IGNORECASE,
)
_LOCK = query("lock_migrations")
_UNLOCK = query("unlock_migrations")
_LOCK_TIMEOUT = query("migration_lock_timeout")
_ENSURE_TABLE = query("ensure_schema_version")
_VERSION_TABLE_EXISTS = query("schema_version_exists")
_APPLIED = query("applied_migrations")
_RECORD = query("record_migration")
_INVALID_INDEX = query("invalid_index")
_DROP_INVALID_INDEX = sql.SQL(query("drop_invalid_index"))
_TABLES_FOUND = query("portal_tables_found")
_FINDINGS = query("adoption_findings")
_COLUMNS_MISSING = query("portal_columns_missing")
_GRANTS = [
    sql.SQL(query(name))
    for name in (
        "grant_schema_usage",
        "grant_table_access",
        "grant_table_updates",
        "grant_hamiltonian_updates",
        "grant_reference_updates",
        "grant_claim_group_lock",
        "grant_token_usage_read",
        "grant_job_counts_read",
        "grant_event_log_append",
        "grant_sequence_usage",
        "grant_rule_functions",
    )
]

PORTAL_TABLES = (
    "user",
    "user_group",
    "users_in_user_groups",
    "budget",
    "user_groups_in_budgets",
    "resource",
    "target_specification",
    "circuit_job",
    "hamiltonian_job",
    "token_usage",
)
"""The portal's tables the job package reads or writes (migration 0001 creates the missing)."""

LOCK_TIMEOUT = 0.5
"""Seconds a migrating transaction waits for a table lock before it rolls back and tries again:
while it waits, the locks it already holds stop the portal, so the wait is kept short."""

LOCK_PATIENCE = 60.0
"""Seconds a migration keeps trying again before it gives up, changing nothing of its step."""


@dataclass(frozen=True)
class Migration:
    """One file of sql/schema/: ``NNNN_name.sql``, its version the number."""

    version: int
    name: str
    path: Path

    @property
    def concurrent(self) -> bool:
        return self.name.endswith("_concurrently")

    def statements(self) -> list[str]:
        """A concurrent migration's statements, one index each; the whole file otherwise."""
        text = self.path.read_text(encoding="utf-8")
        if not self.concurrent:
            return [text]
        code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
        found = [part.strip() for part in code.split(";") if part.strip()]
        for statement in found:
            if _CONCURRENT_INDEX.match(statement + " ") is None:
                raise MigrationError(
                    f"{self.path}: a concurrent migration holds only "
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS statements, not {statement[:60]!r}"
                )
        return found


@dataclass(frozen=True)
class Finding:
    """Rows of a job table that break one of the package's rules (kept, and reported)."""

    job_table: str
    rule: str
    rows: int


@dataclass(frozen=True)
class ColumnMissing:
    """A column of a portal table the package relies on that the database lacks, or has with
    another type (``found_type`` '' when missing)."""

    table_name: str
    column_name: str
    data_type: str
    found_type: str

    def __str__(self) -> str:
        found = f"is {self.found_type}" if self.found_type else "is missing"
        return f"{self.table_name}.{self.column_name} ({self.data_type}) {found}"


@dataclass(frozen=True)
class TableFound:
    name: str
    estimated_rows: int | None


@dataclass(frozen=True)
class SchemaReport:
    """What ``migrate`` would do on a database, and what it found there."""

    applied: list[int]
    pending: list[Migration]
    portal_tables: list[TableFound]
    findings: list[Finding]
    columns_missing: list[ColumnMissing]
    """Columns the package needs that the portal's tables lack: migrate would refuse."""


def migrations(folder: Path | None = None) -> list[Migration]:
    """The migrations in version order, as ``migrate`` applies them: each one's version, name
    and ``statements()``. MigrationError on a misnamed file or a gap."""
    found = []
    for path in sorted((folder or sql_dir() / "schema").glob("*.sql")):
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            raise MigrationError(f"migration file must be named NNNN_name.sql: {path}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(f"expected migration {expected:04d}, found {migration.path}")
    return found


def _applied(conn: Conn) -> set[int]:
    if not value(conn, _VERSION_TABLE_EXISTS, {}):
        return set()
    return set(column(conn, _APPLIED, {}))


def _hold_lock(conn: Conn, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not value(conn, _LOCK, {}):
        if time.monotonic() > deadline:
            raise MigrationError(f"another migrate has held the schema lock for {wait:g} s")
        time.sleep(0.1)


def _run_in_transaction(
    conn: Conn, migration: Migration, lock_timeout: float, patience: float
) -> None:
    """Run one migration file in a transaction. A table lock not granted within
    ``lock_timeout`` (a long transaction of the portal holds it) rolls the whole step back, so
    the portal's writes never queue for longer behind the locks already taken; the step is
    tried again after a pause, until ``patience`` runs out."""
    deadline = time.monotonic() + patience
    pause = 0.1
    while True:
        try:
            with conn.transaction():
                conn.execute(_LOCK_TIMEOUT, {"lock_timeout": f"{round(lock_timeout * 1000)}ms"})
                # A migration file is package source, executed as a script of statements.
                conn.execute(migration.statements()[0])
                conn.execute(_RECORD, {"version": migration.version, "name": migration.name})
            return
        except psycopg.errors.LockNotAvailable:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _run_concurrently(conn: Conn, migration: Migration) -> None:
    for statement in migration.statements():
        match = _CONCURRENT_INDEX.match(statement + " ")
        assert match is not None  # checked by statements()
        index = match.group(1)
        if value(conn, _INVALID_INDEX, {"name": index}):
            conn.execute(_DROP_INVALID_INDEX.format(index=sql.Identifier(index)))
        conn.execute(statement)  # package source, as above
    conn.execute(_RECORD, {"version": migration.version, "name": migration.name})


def migrate(
    conninfo: str | None = None,
    folder: Path | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    lock_patience: float = LOCK_PATIENCE,
    wait: float = 3600.0,
) -> list[int]:
    """Create or adopt the schema and apply what the database lacks; return those versions.

    Safe to run from several processes at once (the others wait, then find nothing left to
    do) and to run again after an interruption (an index build left invalid is redone).
    """
    target = resolve_conninfo(conninfo)
    pending = migrations(folder)
    try:
        with psycopg.connect(target, connect_timeout=10, autocommit=True) as conn:
            _hold_lock(conn, wait)
            try:
                missing = rows(conn, _COLUMNS_MISSING, {}, ColumnMissing)
                if missing:
                    raise MigrationError(
                        f"{describe(target)} has the portal's tables, but not as the job "
                        f"package needs them; nothing was changed: "
                        + "; ".join(str(column) for column in missing)
                    )
                conn.execute(_ENSURE_TABLE)
                applied = _applied(conn)
                todo = [m for m in pending if m.version not in applied]
                done: list[int] = []
                for migration in todo:
                    # Each file commits on its own, so no lock one takes lasts through the next.
                    if migration.concurrent:
                        _run_concurrently(conn, migration)
                    else:
                        _run_in_transaction(conn, migration, lock_timeout, lock_patience)
                    done.append(migration.version)
                return done
            finally:
                if not conn.closed and not conn.broken:
                    conn.execute(_UNLOCK)
    except psycopg.Error as exc:
        if is_connection_error(exc):
            raise unavailable(target, exc) from None
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            raise MigrationError(
                f"migration gave up on {describe(target)}: a table it must alter stayed locked "
                f"by another transaction for {lock_patience:g} s (tried again every time its "
                f"{lock_timeout:g} s lock wait ran out); nothing of that step was changed, run "
                f"it again when that transaction has ended ({str(exc).strip()})"
            ) from None
        raise MigrationError(f"migration failed on {describe(target)}: {exc}") from exc


def inspect(conninfo: str | None = None, folder: Path | None = None) -> SchemaReport:
    """What ``migrate`` would do and what it finds, changing nothing (``migrate --check``)."""
    target = resolve_conninfo(conninfo)
    known = migrations(folder)
    try:
        with psycopg.connect(target, connect_timeout=10, autocommit=True) as conn:
            applied = _applied(conn)
            tables = rows(conn, _TABLES_FOUND, {"tables": list(PORTAL_TABLES)}, TableFound)
            missing = rows(conn, _COLUMNS_MISSING, {}, ColumnMissing)
            found = {t.name for t in tables}
            findings = (
                rows(conn, _FINDINGS, {}, Finding)
                if {"circuit_job", "hamiltonian_job"} <= found and not missing
                else []
            )
    except psycopg.Error as exc:
        if is_connection_error(exc):
            raise unavailable(target, exc) from None
        raise MigrationError(f"inspecting {describe(target)} failed: {exc}") from exc
    return SchemaReport(
        applied=sorted(applied),
        pending=[m for m in known if m.version not in applied],
        portal_tables=tables,
        findings=findings,
        columns_missing=missing,
    )


def grant_app_role(role: str, conninfo: str | None = None) -> None:
    """Give an existing role what the portal's services need: read and write the tables, no
    DDL, no DELETE. Run as the schema's owner, after ``migrate``."""
    role = text(role, "role")
    target = resolve_conninfo(conninfo)
    try:
        with psycopg.connect(target, connect_timeout=10) as conn:
            for grant in _GRANTS:
                conn.execute(grant.format(role=sql.Identifier(role)))
    except psycopg.Error as exc:
        if is_connection_error(exc):
            raise unavailable(target, exc) from None
        if isinstance(exc, psycopg.errors.UndefinedObject):
            raise InvalidArgument(f"no role {shown(role)} on {describe(target)}") from None
        if isinstance(exc, psycopg.errors.UndefinedTable):
            raise SchemaMissing(
                f"{describe(target)} has no mqp_jobs schema to grant on; run `mqp-jobs "
                f"migrate` first ({' '.join(str(exc).split())})"
            ) from None
        raise MigrationError(f"granting to {role!r} failed on {describe(target)}: {exc}") from exc
