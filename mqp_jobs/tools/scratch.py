"""Throwaway databases for the demo and the benchmarks: created fresh, always dropped."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mqp_jobs import DatabaseUnavailable, migrate, resolve_conninfo
from mqp_jobs.tools.db import column
from mqp_jobs.tools.statements import query

_CREATE = sql.SQL(query("create_database"))
_ORPHANS = query("scratch_orphans")
_NAME = re.compile(r"_(\d+)_[0-9a-f]{6}$")
_DROP = sql.SQL(query("drop_database"))


def _admin(server: str) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(server, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {_shown(server)}: {detail}"
        ) from None


def _shown(server: str) -> str:
    """The conninfo without its password, or what libpq falls back to when it is empty."""
    given = {k: v for k, v in conninfo_to_dict(server).items() if k != "password"}
    return make_conninfo("", **given) or "libpq's defaults ($PGHOST, $PGPORT, ...)"


def probe_server(server: str) -> None:
    """DatabaseUnavailable unless the server answers."""
    _admin(server).close()


def create(server: str, prefix: str, template: str = "template1") -> str:
    """Create a database named after ``prefix``; return its name."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with _admin(server) as conn:
        conn.execute(_CREATE.format(name=sql.Identifier(name), template=sql.Identifier(template)))
    return name


def drop(server: str, name: str) -> None:
    with _admin(server) as conn:
        conn.execute(_DROP.format(name=sql.Identifier(name)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_orphans(server: str, prefix: str) -> list[str]:
    """Drop databases named ``prefix``_PID_xxxxxx that no session uses and whose creating
    process no longer runs on this machine (a killed demo or benchmark); return their names."""
    with _admin(server) as conn:
        names = column(conn, _ORPHANS, {"prefix": prefix + "_"})
    dropped = []
    for name in names:
        found = _NAME.search(name)
        if found and not _alive(int(found.group(1))):
            drop(server, name)
            dropped.append(name)
    return dropped


def conninfo_for(server: str, name: str) -> str:
    return make_conninfo(server, dbname=name)


@contextmanager
def scratch_database(
    server: str | None, prefix: str, *, template: str | None = None, schema: bool = True
) -> Iterator[str]:
    """A new database on ``server`` (a conninfo for any database there), migrated unless
    ``schema`` is False or it is copied from ``template``; dropped when the block ends."""
    base = resolve_conninfo(server)
    name = create(base, prefix, template or "template1")
    try:
        target = conninfo_for(base, name)
        if schema and template is None:
            migrate(target)
        yield target
    finally:
        drop(base, name)
