"""Running the tools' own statements on a plain psycopg connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, LiteralString, TypeVar

import psycopg
from psycopg.rows import class_row

Conn = psycopg.Connection[Any]
Params = Mapping[str, object]
Row = TypeVar("Row")


def value(conn: Conn, statement: LiteralString, params: Params) -> object:
    """The first column of the first row, or None when there is no row."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        found = cur.fetchone()
        return None if found is None else found[0]


def integer(conn: Conn, statement: LiteralString, params: Params) -> int:
    """The first column of the first row, which the statement guarantees is an integer."""
    found = value(conn, statement, params)
    if not isinstance(found, int):
        raise TypeError(f"expected an integer from the database, got {found!r}")
    return found


def column(conn: Conn, statement: LiteralString, params: Params) -> list[Any]:
    """The first column of every row."""
    with conn.cursor() as cur:
        cur.execute(statement, params)
        return [found[0] for found in cur.fetchall()]


def rows(conn: Conn, statement: LiteralString, params: Params, model: type[Row]) -> list[Row]:
    """Every row of the statement, as ``model`` instances (a dataclass of its columns)."""
    with conn.cursor(row_factory=class_row(model)) as cur:
        cur.execute(statement, params)
        return cur.fetchall()
