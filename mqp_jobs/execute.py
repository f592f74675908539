"""Running named statements: typed rows in, typed rows out."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, LiteralString, TypeVar

import psycopg
from psycopg.rows import RowFactory, class_row
from psycopg.sql import Composed

from mqp_jobs.errors import InternalError

Conn = psycopg.Connection[Any]
"""Any psycopg connection; statements use their own cursors and row factories."""

Params = Mapping[str, object]
Row = TypeVar("Row")


def _factory(model: type[Row]) -> RowFactory[Row]:
    """The model's own row factory where it has one (jobs: see models), else ``class_row``."""
    own: RowFactory[Row] | None = getattr(model, "row_factory", None)
    return own if own is not None else class_row(model)


def rows(
    conn: Conn,
    statement: LiteralString | Composed,
    params: Params,
    model: type[Row],
    *,
    prepare: bool | None = None,
) -> list[Row]:
    """Every row of the statement, as ``model`` instances.

    ``prepare=False`` keeps a statement from being prepared: PostgreSQL moves a prepared
    statement to a generic plan after five runs, and for a statement whose best plan depends
    on which optional filters are NULL, that plan can be far slower than a fresh one.
    """
    with conn.cursor(row_factory=_factory(model)) as cur:
        cur.execute(statement, params, prepare=prepare)
        return cur.fetchall()


def row(conn: Conn, statement: LiteralString, params: Params, model: type[Row]) -> Row | None:
    """The first row of the statement as a ``model``, or None."""
    with conn.cursor(row_factory=_factory(model)) as cur:
        cur.execute(statement, params)
        return cur.fetchone()


def value(conn: Conn, statement: LiteralString | Composed, params: Params) -> object:
    """The first column of the first row, or None when there is no row."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        found = cur.fetchone()
        return None if found is None else found[0]


def integer(conn: Conn, statement: LiteralString, params: Params) -> int:
    """The first column of the first row, which the statement guarantees is an integer."""
    found = value(conn, statement, params)
    if not isinstance(found, int):
        raise InternalError(f"expected an integer from the database, got {found!r}")
    return found


def transaction(conn: Conn) -> AbstractContextManager[object]:
    """A transaction for statements that must share one: a new one on an autocommit
    connection, else the transaction the connection is already in."""
    return conn.transaction() if conn.autocommit else nullcontext()


def column(
    conn: Conn, statement: LiteralString, params: Params, *, prepare: bool | None = None
) -> list[Any]:
    """The first column of every row; ``prepare`` as for ``rows``."""
    with conn.cursor() as cur:
        cur.execute(statement, params, prepare=prepare)
        return [found[0] for found in cur.fetchall()]
