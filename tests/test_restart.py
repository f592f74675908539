"""The server restarts under load: schedulers, runners and a submitter ride it out.

A private PostgreSQL 15 cluster (never the shared server) is restarted twice while a submitter
creates jobs and three schedulers claim and complete them, each a real process with one store
kept for the whole run: once with a fast shutdown (sessions terminated, a clean checkpoint),
once with an immediate one (the server is killed and recovers from its WAL). Afterwards no job
is lost, none is created or completed twice, the active-job limit was never exceeded, and every
process recovered on its own.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import multiprocessing
import os
import pwd
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

import mqp_jobs
from mqp_jobs import InvalidTransition, JobStore, MqpJobsError, PoolSettings

SPAWN = multiprocessing.get_context("spawn")
PG_BIN = Path("/usr/lib/postgresql/15/bin")

USERS = [f"user{n}" for n in range(8)]
BUDGET = "consortium"
RESOURCE_OF = {"target-qpu-a": "qpu-a", "target-qpu-b": "qpu-b"}
TARGETS = sorted(RESOURCE_OF)
JOBS = 600
SUBMIT_EVERY = 0.025  # seconds between submissions: 600 jobs over about 15 s
SCHEDULERS = ["scheduler-1", "scheduler-2", "scheduler-3"]
CLAIM_LIMIT = 8
STALE_AFTER = timedelta(seconds=8)  # a claim whose reply was lost leaves its jobs WAITING
PAUSE_AFTER_ERROR = 0.1
CONNECT_TIMEOUT = 2  # the workers' pools: a call gives up after this long without a server
# A bare `pg_ctl restart` is over in about 0.2 s here, and a pool that checks connections on
# checkout rides that out unseen unless a call is in flight; kept down longer than a call
# waits for a connection, the server is seen gone by every process that calls meanwhile.
DOWN_FOR = 2.5
WORKER_DEADLINE = 120.0  # no worker loops longer than this
STOP_GRACE = 20.0  # once told to stop, a scheduler settles its owed completions for so long
WORKER_KILL_AFTER = 150.0  # a worker stuck in a call dumps its stacks and exits
# Errors a caller may see while the server goes away and comes back. Not PoolExhausted: each
# worker holds at most one of its pool's two connections at a time, so its pool cannot be
# exhausted; a server that cannot be reached is DatabaseUnavailable.
TRANSIENT = {"DatabaseUnavailable", "CommitOutcomeUnknown", "OperationTimedOut", "Conflict"}

# Test-only audit, checked at every commit that moves a job to WAITING: a deferred constraint
# trigger that serializes on the job's (owner, target), then counts that group's WAITING jobs
# with a snapshot taken after the lock, so it sees every earlier commit. Unlike the audit of
# test_claims_concurrency.py it raises: an over-limit claim is refused at commit, the scheduler
# sees the error, and the server logs it.
LIMIT_AUDIT = """
CREATE FUNCTION audit_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    waiting bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(NEW.owner || '/' || NEW.target_specification));
    SELECT count(*) INTO waiting FROM circuit_job
    WHERE status = 'WAITING' AND owner = NEW.owner
      AND target_specification = NEW.target_specification;
    IF waiting > 2 THEN
        RAISE EXCEPTION 'limit audit: % WAITING jobs of %/%',
            waiting, NEW.owner, NEW.target_specification;
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER audit_limit AFTER UPDATE ON circuit_job
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'WAITING' AND OLD.status <> 'WAITING')
    EXECUTE FUNCTION audit_limit();
"""


# The private server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivateServer:
    """A throwaway PostgreSQL cluster in a temporary folder, run as the postgres system user
    when we are root (initdb and postgres refuse to run as root)."""

    folder: Path
    port: int
    as_postgres: bool

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def conninfo(self, dbname: str = "portal") -> str:
        return make_conninfo(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)

    def _run(self, *command: str, timeout: float = 60) -> None:
        argv = list(command)
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, cwd=self.folder
        )
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {done.returncode}\n{done.stdout}{done.stderr}\n"
                f"server log (tail):\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def initdb(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\n"
                # No fsync: the OS never crashes here, and every commit still writes its WAL
                # before it returns (synchronous_commit stays on), so an immediate shutdown
                # loses no committed row.
                "fsync = off\nmax_connections = 50\n"
            )

    def pg_ctl(self, action: str, *options: str) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log),
            "-w", "-t", "30", *options,
        )  # fmt: skip

    def restart(self, mode: str, down_for: float) -> float:
        """What `pg_ctl restart -m MODE` does (stop, then start with the same settings), with
        the server kept down for ``down_for`` seconds in between; how long it was down."""
        started = time.monotonic()
        self.pg_ctl("stop", "-m", mode)
        time.sleep(down_for)
        self.pg_ctl("start")
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop at once; kill the postmaster should pg_ctl not manage."""
        try:
            self.pg_ctl("stop", "-m", "immediate")
        except (AssertionError, subprocess.TimeoutExpired):
            with contextlib.suppress(OSError, ValueError, IndexError):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def private_server() -> Iterator[PrivateServer]:
    """A PostgreSQL 15 cluster of this module's own on a free port, with a migrated database
    `portal`; stopped and deleted afterwards, also when a test fails."""
    missing = [name for name in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / name).exists()]
    if missing:
        pytest.skip(f"PostgreSQL 15 server binaries missing in {PG_BIN}: {', '.join(missing)}")
    as_postgres = os.geteuid() == 0
    if as_postgres:
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is missing to run PostgreSQL as postgres")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres system user to run initdb as")
    folder = Path(tempfile.mkdtemp(prefix="mqp_restart_"))
    server = PrivateServer(folder, _free_port(), as_postgres)
    try:
        if as_postgres:
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        server.initdb()
        server.pg_ctl("start")
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE portal")
        mqp_jobs.migrate(server.conninfo())
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


# The processes


@dataclass
class Survivor:
    """What one process went through: the errors it survived, what escaped the package."""

    name: str
    errors: Counter[str] = field(default_factory=Counter)
    escaped: list[str] = field(default_factory=list)
    escaped_count: int = 0
    audit: list[str] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)  # the first error of each kind
    ok_since_error: int = 0

    def attempt(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """(True, the call's value), or (False, None) after recording the error and pausing.
        InvalidTransition is the caller's to handle."""
        try:
            value = call(*args, **kwargs)
        except InvalidTransition:
            raise
        except Exception as exc:
            if "limit audit" in str(exc):
                self.audit.append(f"{type(exc).__name__}: {exc}")
            elif isinstance(exc, MqpJobsError):
                self.errors[type(exc).__name__] += 1
                self.samples.setdefault(type(exc).__name__, f"in {call.__name__}: {exc!r}")
            else:  # a contract breach: every error of the package is an MqpJobsError
                self.escaped_count += 1
                if len(self.escaped) < 3:
                    self.escaped.append(f"in {call.__name__}: {traceback.format_exc()}")
            self.ok_since_error = 0
            time.sleep(PAUSE_AFTER_ERROR)
            return False, None
        self.ok_since_error += 1
        return True, value

    @property
    def survived(self) -> int:
        return sum(self.errors.values()) + self.escaped_count

    def report(self, **found: Any) -> dict[str, Any]:
        return {
            "errors": dict(self.errors),
            "escaped": self.escaped,
            "escaped_count": self.escaped_count,
            "audit": self.audit,
            "samples": self.samples,
            "ok_since_error": self.ok_since_error,
            "survived": self.survived,
            **found,
        }


def _worker_store(conninfo: str) -> JobStore:
    # The pool warns of every failed reconnection attempt; the errors callers see are counted.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    settings = PoolSettings(
        min_size=1,
        max_size=2,
        connect_timeout=CONNECT_TIMEOUT,
        statement_timeout=10,
        lock_timeout=5,
        idle_in_transaction_timeout=10,
    )
    return JobStore(conninfo, settings=settings).open()


def _plan() -> list[tuple[str, str, str]]:
    """(circuit, owner, target) of every job, each circuit text unique: the job's identity."""
    return [
        (f"OPENQASM 2.0; // restart test job {n}", USERS[n % 8], TARGETS[n // 8 % 2])
        for n in range(JOBS)
    ]


def submitter(conninfo: str, stop: Event, results: Any) -> None:
    """Submit the plan at a steady pace. When a submission fails, look the job up by its
    circuit before submitting it again: it may have been stored before the connection died."""
    faulthandler.dump_traceback_later(WORKER_KILL_AFTER, exit=True)
    me, store = Survivor("submitter"), _worker_store(conninfo)
    submitted: dict[str, int] = {}
    found_after_error = 0
    started = time.monotonic()
    deadline = started + WORKER_DEADLINE

    def going_on() -> bool:
        return time.monotonic() < deadline and not stop.is_set()

    for n, (circuit, owner, target) in enumerate(_plan()):
        if not going_on():
            break
        time.sleep(max(0.0, started + n * SUBMIT_EVERY - time.monotonic()))
        while circuit not in submitted and going_on():
            ok, job = me.attempt(store.create_job, 100, circuit, owner, BUDGET, target, "qasm2")
            if ok:
                submitted[circuit] = job.id
                break
            ok, jobs = False, None
            while not ok and going_on():
                ok, jobs = me.attempt(store.fetch_by_identity, owner)
            stored = [job.id for job in jobs or [] if job.circuit == circuit]
            if stored:
                submitted[circuit] = stored[0]
                found_after_error += 1
    results.put(("submitter", me.report(submitted=submitted, found_after_error=found_after_error)))
    store.close()


def scheduler(conninfo: str, name: str, stop: Event, results: Any) -> None:
    """Claim a few jobs at a time and complete each, its result naming this scheduler; retry a
    completion whose outcome is unknown until it is known. When idle, put back jobs left
    WAITING by a claim whose reply was lost."""
    faulthandler.dump_traceback_later(WORKER_KILL_AFTER, exit=True)
    me, store = Survivor(name), _worker_store(conninfo)
    claimed: list[int] = []
    done: list[int] = []  # completed by this scheduler, as far as it knows
    taken: list[int] = []  # requeued and completed by another
    owed: list[tuple[int, str, str]] = []  # (job id, owner, resource) claimed, not yet done
    requeued = 0
    last_requeue = time.monotonic()
    deadline = time.monotonic() + WORKER_DEADLINE
    while (owed or not stop.is_set()) and time.monotonic() < deadline:
        if stop.is_set():  # owed completions only, for a while
            deadline = min(deadline, time.monotonic() + STOP_GRACE)
        if owed:
            job_id, owner, resource = owed[0]
            result = f"{name}:{job_id}"
            try:
                ok, _ = me.attempt(store.complete_job_with_result, job_id, result, resource, None)
            except InvalidTransition:
                ok, job = me.attempt(store.fetch_result_by_job_id_and_identity, job_id, owner)
                if ok:
                    mine = job is not None and job.status == "COMPLETED" and job.result == result
                    (done if mine else taken).append(job_id)
                    owed.pop(0)
                continue
            if ok:
                done.append(job_id)
                owed.pop(0)
            continue
        ok, jobs = me.attempt(store.claim_jobs, limit=CLAIM_LIMIT)
        if ok and jobs:
            claimed += [job.id for job in jobs]
            owed += [(job.id, job.owner, RESOURCE_OF[job.target_specification]) for job in jobs]
        elif ok:
            if time.monotonic() - last_requeue > 1:
                last_requeue = time.monotonic()
                ok, back = me.attempt(store.requeue_stale_jobs, STALE_AFTER)
                requeued += len(back.circuit) if ok else 0
            time.sleep(0.01)
    results.put(
        (
            name,
            me.report(claimed=claimed, done=done, taken=taken, owed=owed, requeued=requeued),
        )
    )
    store.close()


# The run


def _set_up_portal(conninfo: str) -> None:
    store = JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=1)).open()
    for user in USERS:
        store.create_user(user)
    store.create_budget(BUDGET, USERS[0], USERS[1:])
    for target, resource in RESOURCE_OF.items():
        store.create_resource(resource)
        store.create_target_spec(target, resource)
    store.close()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(LIMIT_AUDIT)
        # The audit bites: three WAITING jobs of one group are refused at commit.
        with (
            pytest.raises(psycopg.errors.RaiseException, match="limit audit"),
            conn.transaction(),
        ):
            conn.execute(
                "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
                " target_specification) SELECT 1, 'audit check', 'qasm2', %s, %s, %s"
                " FROM generate_series(1, 3)",
                (USERS[0], BUDGET, TARGETS[0]),
            )
            conn.execute("UPDATE circuit_job SET status = 'WAITING'")
        assert conn.execute("SELECT count(*) FROM circuit_job").fetchone() == (0,)


@dataclass
class Progress:
    completed: int = 0  # distinct circuits COMPLETED
    unfinished: int = 0
    most_waiting: int = 0  # the most WAITING jobs of one (owner, target) seen by any poll


def _poll(conninfo: str, progress: Progress) -> bool:
    """Update progress from the database; False if it could not be reached."""
    try:
        with psycopg.connect(conninfo, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(DISTINCT circuit) FILTER (WHERE status = 'COMPLETED'),"
                " count(*) FILTER (WHERE status <> 'COMPLETED'),"
                " (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM circuit_job"
                "  WHERE status = 'WAITING' GROUP BY owner, target_specification) AS groups)"
                " FROM circuit_job"
            ).fetchone()
    except psycopg.OperationalError:
        return False
    assert row is not None
    progress.completed, progress.unfinished = int(row[0]), int(row[1])
    progress.most_waiting = max(progress.most_waiting, int(row[2]))
    return True


def _wait_for(
    conninfo: str, progress: Progress, done: Callable[[Progress], bool], seconds: float, what: str
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _poll(conninfo, progress) and done(progress):
            return
        time.sleep(0.1)
    pytest.fail(f"{what} within {seconds:.0f} s: {progress}")


def _collect(results: Any, names: list[str], seconds: float) -> dict[str, dict[str, Any]]:
    reports: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + seconds
    while len(reports) < len(names) and time.monotonic() < deadline:
        try:
            name, report = results.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        reports[name] = report
    return reports


def test_a_restart_under_load_loses_no_job_and_every_process_recovers(
    private_server: PrivateServer,
) -> None:
    conninfo = private_server.conninfo()
    _set_up_portal(conninfo)
    plan = _plan()
    stop, results = SPAWN.Event(), SPAWN.Queue()
    workers = {"submitter": SPAWN.Process(target=submitter, args=(conninfo, stop, results))}
    for name in SCHEDULERS:
        workers[name] = SPAWN.Process(target=scheduler, args=(conninfo, name, stop, results))
    progress, restarts = Progress(), {}
    log_from = private_server.log.stat().st_size  # the audit's own check is logged before
    started = time.monotonic()
    for worker in workers.values():
        worker.start()
    try:
        _wait_for(conninfo, progress, lambda p: p.completed >= 150, 40, "150 jobs completed")
        restarts["fast"] = private_server.restart("fast", DOWN_FOR)
        _wait_for(conninfo, progress, lambda p: p.completed >= 350, 40, "350 jobs completed")
        restarts["immediate"] = private_server.restart("immediate", DOWN_FOR)
        _wait_for(
            conninfo,
            progress,
            lambda p: p.completed >= JOBS and p.unfinished == 0,
            60,
            "every job completed",
        )
    finally:
        stop.set()
        reports = _collect(results, list(workers), 40)
        join_by = time.monotonic() + 30
        for worker in workers.values():
            worker.join(timeout=max(0.1, join_by - time.monotonic()))
        for worker in workers.values():
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=10)
    elapsed = time.monotonic() - started
    print(f"\nrun {elapsed:.1f} s, server down {restarts}, most WAITING {progress.most_waiting}")
    for name, report in reports.items():
        shown = {k: report[k] for k in ("errors", "escaped_count", "ok_since_error")}
        shown |= {k: len(v) for k, v in report.items() if isinstance(v, list)}
        if "submitted" in report:
            shown["submitted"] = len(report["submitted"])
        print(f"{name}: {shown}")

    # Every process ended on its own, with exit status 0 and a report.
    assert {name: worker.exitcode for name, worker in workers.items()} == dict.fromkeys(workers, 0)
    assert sorted(reports) == sorted(workers)

    with psycopg.connect(conninfo, connect_timeout=10, autocommit=True) as db:
        rows = db.execute("SELECT circuit, id, status, result FROM circuit_job").fetchall()
        completions = dict(
            db.execute(
                "SELECT job_id, count(*) FROM job_event WHERE job_kind = 'circuit'"
                " AND from_status = 'WAITING' AND to_status = 'COMPLETED' GROUP BY job_id"
            ).fetchall()
        )
        requeued = {
            job_id
            for (job_id,) in db.execute(
                "SELECT DISTINCT job_id FROM job_event WHERE job_kind = 'circuit'"
                " AND from_status = 'WAITING' AND to_status = 'PENDING'"
            ).fetchall()
        }

    # No job lost or created twice: every job of the plan exists exactly once, is the one the
    # submitter was told of, and ended COMPLETED.
    per_circuit = Counter(circuit for circuit, *_ in rows)
    assert sorted(per_circuit.items()) == sorted((circuit, 1) for circuit, *_ in plan)
    id_of = {circuit: job_id for circuit, job_id, *_ in rows}
    assert reports["submitter"]["submitted"] == id_of
    assert [job_id for _, job_id, status, _ in rows if status != "COMPLETED"] == []
    # None completed twice: one WAITING -> COMPLETED per job in the event log, and exactly one
    # scheduler that knows it completed the job, the one the stored result names.
    assert completions == {job_id: 1 for job_id in id_of.values()}
    done = Counter(job_id for name in SCHEDULERS for job_id in reports[name]["done"])
    assert [job_id for job_id, times in done.items() if times > 1] == []
    done_by = {job_id: name for name in SCHEDULERS for job_id in reports[name]["done"]}
    assert {job_id: f"{name}:{job_id}" for job_id, name in done_by.items()} == {
        job_id: result for _, job_id, _, result in rows
    }
    assert all(reports[name]["owed"] == [] for name in SCHEDULERS)
    # A job is claimed twice only after it was put back in line (its first claim's reply was
    # lost, or its scheduler stalled past STALE_AFTER).
    claims = Counter(job_id for name in SCHEDULERS for job_id in reports[name]["claimed"])
    assert {job_id for job_id, times in claims.items() if times > 1} <= requeued
    # The limit held at every commit.
    assert [r["audit"] for r in reports.values() if r["audit"]] == []
    with private_server.log.open("rb") as log:
        log.seek(log_from)
        assert b"limit audit" not in log.read()
    assert progress.most_waiting <= 2

    # The restarts hit every process, and each recovered with the store it started with: its
    # last call succeeded.
    assert {name: r["survived"] > 0 for name, r in reports.items()} == dict.fromkeys(workers, True)
    assert {name: r["ok_since_error"] > 0 for name, r in reports.items()} == dict.fromkeys(
        workers, True
    )
    # Only the package's errors came out, and only those of a server going away.
    escaped = {name: r["escaped"] for name, r in reports.items() if r["escaped_count"]}
    assert escaped == {}, "errors that are not MqpJobsError escaped:\n" + "\n".join(
        f"--- {name} ({reports[name]['escaped_count']} in all):\n" + "\n".join(tracebacks)
        for name, tracebacks in escaped.items()
    )
    unexpected = {
        kind: sample
        for r in reports.values()
        for kind, sample in r["samples"].items()
        if kind not in TRANSIENT
    }
    assert unexpected == {}, "errors other than a server going away:\n" + "\n".join(
        unexpected.values()
    )
