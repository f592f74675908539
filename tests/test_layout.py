"""The library apart from its tools: the tools depend on the library, never the other way.

The library is every module of ``mqp_jobs`` outside ``mqp_jobs/tools/``; the tools (the demo, the
benchmark suite, throwaway databases and servers) use its public API, each other and their own
statements in ``mqp_jobs/tools/sql/``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import mqp_jobs

PACKAGE = Path(mqp_jobs.__file__).resolve().parent
TOOLS = PACKAGE / "tools"
TOOLS_SQL = TOOLS / "sql"

# What a tool may import from the library beyond the names in mqp_jobs.__all__, and why.
BEYOND_ALL = {
    ("mqp_jobs", "metrics"): "the metrics extra's public module (docs/monitoring.md); kept out "
    "of __all__ so that import mqp_jobs needs no prometheus_client",
    ("mqp_jobs.queries", "load"): "the statement files' format has one home: the tools read "
    "tools/sql/ with the library's loader, into a dict of their own",
}


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _library_modules() -> list[Path]:
    return [path for path in _modules(PACKAGE) if TOOLS not in path.parents]


def _imports(tree: ast.AST, *, in_functions: bool = True) -> list[tuple[str, str | None, int]]:
    """(module, name or None for a plain import, line) of every import in the tree; with
    ``in_functions`` False, only those outside function bodies (run at import time)."""
    found: list[tuple[str, str | None, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: relative import"
            found += [(node.module or "", alias.name, node.lineno) for alias in node.names]
        elif in_functions or not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        ):
            found += _imports(node, in_functions=in_functions)
    return found


def _is_tools(module: str, name: str | None) -> bool:
    full = module if name is None else f"{module}.{name}"
    return full == "mqp_jobs.tools" or full.startswith("mqp_jobs.tools.")


def test_importing_the_library_loads_no_tool_and_no_tool_statement() -> None:
    tool_statements = {path.stem for path in TOOLS_SQL.rglob("*.sql")}
    assert {"max_waiting_in_a_group", "database_time", "bench_seed_jobs"} <= tool_statements
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys\n"
            "import mqp_jobs, mqp_jobs.cli, mqp_jobs.queries\n"
            "mqp_jobs.cli._parser().parse_args(['stats'])\n"
            "print(json.dumps({\n"
            "    'modules': sorted(m for m in sys.modules if m.startswith('mqp_jobs')),\n"
            "    'statements': sorted(mqp_jobs.queries.STATEMENTS),\n"
            "}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(probe.stdout)
    assert "mqp_jobs.cli" in loaded["modules"]
    assert [m for m in loaded["modules"] if m.startswith("mqp_jobs.tools")] == []
    assert "create_job" in loaded["statements"]
    assert sorted(tool_statements & set(loaded["statements"])) == []


def test_the_tools_use_only_the_public_api_and_each_other() -> None:
    public = set(mqp_jobs.__all__)
    used_beyond_all = set()
    wrong = []
    for path in _modules(TOOLS):
        for module, name, line in _imports(ast.parse(path.read_text(), str(path))):
            if module != "mqp_jobs" and not module.startswith("mqp_jobs."):
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if _is_tools(module, name):
                continue
            if (module, name) in BEYOND_ALL:
                used_beyond_all.add((module, name))
            elif module != "mqp_jobs" or name not in public:
                wrong.append(f"{where}: {module}" + ("" if name is None else f" import {name}"))
    assert wrong == []
    assert used_beyond_all == set(BEYOND_ALL)  # an exception nothing needs any more goes


def test_the_library_imports_no_tool_at_module_level() -> None:
    wrong = []
    for path in _library_modules():
        tree = ast.parse(path.read_text(), str(path))
        # The CLI's subcommands load the demo and the benchmark inside their functions.
        for module, name, line in _imports(tree, in_functions=False):
            if _is_tools(module, name):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module}")
    assert wrong == []
    assert len(_library_modules()) > 10


def test_only_the_command_line_loads_a_tool_and_only_when_asked() -> None:
    loading = {
        path.name
        for path in _library_modules()
        if any(_is_tools(m, n) for m, n, _ in _imports(ast.parse(path.read_text(), str(path))))
    }
    assert loading == {"cli.py"}
