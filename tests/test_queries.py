"""The statement files: loaded once, and loudly wrong when they are wrong."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mqp_jobs import QueryFileError, queries
from mqp_jobs.migrations import migrations

ROOT = Path(__file__).resolve().parent.parent


def test_every_statement_file_is_loaded() -> None:
    files = [p for p in (ROOT / "sql").rglob("*.sql") if "schema" not in p.parts]
    names = {path.stem for path in files}
    assert names == set(queries.STATEMENTS)
    assert all(text.strip() for text in queries.STATEMENTS.values())


def test_a_missing_statement_names_the_file() -> None:
    with pytest.raises(QueryFileError, match=r"no_such_statement\.sql"):
        queries.query("no_such_statement")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_an_empty_statement_names_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "blank.sql", "-- name: blank\n-- only a comment\n\n")
    with pytest.raises(QueryFileError, match=r"empty sql for blank at .*blank\.sql:2"):
        queries.load(tmp_path)
    _write(tmp_path, "blank.sql", "")
    with pytest.raises(QueryFileError, match=r"blank\.sql:1"):
        queries.load(tmp_path)


def test_a_duplicate_name_names_both_files(tmp_path: Path) -> None:
    _write(tmp_path, "claims/take.sql", "-- name: take\nSELECT 1")
    _write(tmp_path, "other/take.sql", "-- name: take\nSELECT 2")
    with pytest.raises(
        QueryFileError, match=r"take declared twice: .*claims/take\.sql:1 and .*other/take\.sql:1"
    ):
        queries.load(tmp_path)


def test_a_header_must_name_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "take.sql", "SELECT 1")
    with pytest.raises(QueryFileError, match=r"take\.sql:1"):
        queries.load(tmp_path)
    _write(tmp_path, "take.sql", "-- name: give\nSELECT 1")
    with pytest.raises(QueryFileError, match="differs"):
        queries.load(tmp_path)


def test_migrations_are_numbered_without_gaps(tmp_path: Path) -> None:
    assert [m.version for m in migrations()] == list(range(1, len(migrations()) + 1))
    _write(tmp_path, "0001_first.sql", "SELECT 1")
    _write(tmp_path, "0003_third.sql", "SELECT 1")
    with pytest.raises(Exception, match="expected migration 0002"):
        migrations(tmp_path)


def test_no_sql_is_written_in_python() -> None:
    import re

    pattern = re.compile(r"[\"'](\s*)(SELECT|INSERT INTO|DELETE FROM|UPDATE +[a-z_]+ +SET)\b")
    offenders = [
        f"{path}:{n}"
        for path in (ROOT / "mqp_jobs").rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_a_built_wheel_ships_the_statement_files(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    [wheel] = tmp_path.glob("mqp_jobs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for path in (ROOT / "sql").rglob("*.sql"):
        assert f"mqp_jobs/sql/{path.relative_to(ROOT / 'sql').as_posix()}" in names
    tools_sql = ROOT / "mqp_jobs" / "tools" / "sql"
    for path in tools_sql.rglob("*.sql"):
        assert f"mqp_jobs/tools/sql/{path.relative_to(tools_sql).as_posix()}" in names
    assert "mqp_jobs/py.typed" in names

    # The loader finds them in the installed layout, away from the checkout.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import mqp_jobs.queries as q; print(q.sql_dir()); print(len(q.STATEMENTS));"
            "import mqp_jobs.tools.statements as t; print(len(t.STATEMENTS))",
        ],
        env={"PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    where, count, tools_count = probe.stdout.split()
    assert Path(where) == site / "mqp_jobs" / "sql"
    assert int(count) == len(queries.STATEMENTS)
    assert int(tools_count) == len(list(tools_sql.rglob("*.sql")))
