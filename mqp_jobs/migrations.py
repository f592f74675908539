"""Creating and upgrading the schema from the numbered files in sql/schema/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from mqp_jobs.connection import describe, is_connection_error, resolve_conninfo, unavailable
from mqp_jobs.errors import MigrationError
from mqp_jobs.execute import column
from mqp_jobs.queries import query, sql_dir

_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_LOCK = query("lock_migrations")
_ENSURE_TABLE = query("ensure_schema_version")
_APPLIED = query("applied_migrations")
_RECORD = query("record_migration")
_GRANTS = [
    sql.SQL(query(name))
    for name in (
        "grant_schema_usage",
        "grant_table_access",
        "grant_event_log_append",
        "grant_sequence_usage",
    )
]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def migrations(folder: Path | None = None) -> list[Migration]:
    """The migrations in version order; MigrationError on a misnamed file or a gap."""
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


def migrate(conninfo: str | None = None, folder: Path | None = None) -> list[int]:
    """Apply the migrations the database lacks, in one transaction; return their versions.

    Safe to run from several processes at once: the first takes an advisory lock, the others
    wait for it and then find nothing left to do.
    """
    target = resolve_conninfo(conninfo)
    pending = migrations(folder)
    try:
        with psycopg.connect(target, connect_timeout=10) as conn:
            conn.execute(_LOCK)
            conn.execute(_ENSURE_TABLE)
            applied = set(column(conn, _APPLIED, {}))
            done = []
            for migration in pending:
                if migration.version in applied:
                    continue
                # A migration file is package source, executed as a script of statements.
                conn.execute(migration.path.read_text(encoding="utf-8"))
                conn.execute(_RECORD, {"version": migration.version, "name": migration.name})
                done.append(migration.version)
            return done
    except psycopg.Error as exc:
        if is_connection_error(exc):
            raise unavailable(target, exc) from None
        raise MigrationError(f"migration failed on {describe(target)}: {exc}") from exc


def grant_app_role(role: str, conninfo: str | None = None) -> None:
    """Give an existing role what the portal's services need: read and write the tables, no
    DDL, no DELETE. Run as the schema's owner, after ``migrate``."""
    if not isinstance(role, str) or not role or "\x00" in role:
        raise MigrationError(f"role must be a role name, not {role!r}")
    target = resolve_conninfo(conninfo)
    try:
        with psycopg.connect(target, connect_timeout=10) as conn:
            for grant in _GRANTS:
                conn.execute(grant.format(role=sql.Identifier(role)))
    except psycopg.Error as exc:
        if is_connection_error(exc):
            raise unavailable(target, exc) from None
        raise MigrationError(f"granting to {role!r} failed on {describe(target)}: {exc}") from exc
