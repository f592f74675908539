"""The tools' own statements, read once from tools/sql/ by the library's file rules.

Each ``NAME.sql`` there holds one statement with a ``-- name: NAME`` header, as in the
library's sql/; none of them is loaded by ``import mqp_jobs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import LiteralString

from mqp_jobs import QueryFileError
from mqp_jobs.queries import load

FOLDER = Path(__file__).parent / "sql"

STATEMENTS = load(FOLDER)


def query(name: str) -> LiteralString:
    """The tools' statement called ``name``; QueryFileError if tools/sql/ has no such file."""
    try:
        return STATEMENTS[name]
    except KeyError:
        raise QueryFileError(f"missing sql file: {FOLDER / (name + '.sql')}") from None
