"""The SQL statements of sql/, read once at import.

Each ``NAME.sql`` under sql/ (topical subfolders allowed; ``schema/`` holds the migrations and is
not read here) holds one statement, begins with a ``-- name: NAME`` header and uses psycopg's
``%(param)s`` placeholders. A missing, empty or doubly declared statement fails the import with
the file and line named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import LiteralString

from mqp_jobs.errors import QueryFileError

_HEADER = re.compile(r"--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")


def sql_dir() -> Path:
    """The folder of statement files: inside the installed package, else the checkout's."""
    for candidate in (Path(__file__).parent / "sql", Path(__file__).parent.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise QueryFileError(f"no sql/ folder beside {Path(__file__).parent}")


def _body(path: Path) -> tuple[str, str]:
    """Return the declared name and the statement text of one file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise QueryFileError(f"empty sql file: {path}:1")
    header = _HEADER.match(lines[0].strip())
    if header is None:
        raise QueryFileError(f"first line must be '-- name: {path.stem}': {path}:1")
    name = header.group(1)
    if name != path.stem:
        raise QueryFileError(f"declared name {name!r} differs from the file name: {path}:1")
    code = [line for line in lines[1:] if line.strip() and not line.strip().startswith("--")]
    if not code:
        raise QueryFileError(f"empty sql for {name} at {path}:2")
    return name, "\n".join(lines[1:]).strip()


def load(folder: Path) -> dict[str, LiteralString]:
    """Read every statement file under ``folder``, except the migrations in ``schema/``.

    The tools read their own folder with it too (mqp_jobs/tools/statements.py), so that the
    file rules have one home: the one name of the library beyond ``__all__`` they may use.
    """
    statements: dict[str, LiteralString] = {}
    where: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.sql")):
        if path.relative_to(folder).parts[0] == "schema":
            continue
        name, text = _body(path)
        if name in where:
            raise QueryFileError(f"{name} declared twice: {where[name]}:1 and {path}:1")
        where[name] = path
        # Files under sql/ are package source, as literal as a string in the code.
        statements[name] = text
    return statements


STATEMENTS = load(sql_dir())


def query(name: str) -> LiteralString:
    """The statement called ``name``; raises QueryFileError if sql/ has no such file."""
    try:
        return STATEMENTS[name]
    except KeyError:
        raise QueryFileError(f"missing sql file: {sql_dir() / (name + '.sql')}") from None
