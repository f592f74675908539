"""The adoption benchmark: ``migrate`` on a portal database of realistic size, made by the
portal's own DDL (migration 0001 alone) and seeded like a long-running portal, while a separate
process writes to it as the portal's ORM does. It measures how long the adoption takes and how
long the portal's writes wait meanwhile, and checks that no row the portal wrote has changed."""

from __future__ import annotations

import multiprocessing
import statistics
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, LiteralString

import psycopg

from mqp_jobs import MigrationError, migrate, schema_migrations
from mqp_jobs.tools import scratch
from mqp_jobs.tools.db import column, rows, value
from mqp_jobs.tools.statements import query

if TYPE_CHECKING:
    from mqp_jobs.tools.bench import Context

_SEED_PORTAL = query("bench_adoption_seed_portal")
_SEED_FINISHED = query("bench_adoption_seed_finished_jobs")
_SEED_ACTIVE = query("bench_adoption_seed_active_jobs")
_SEED_HAMILTONIAN = query("bench_adoption_seed_hamiltonian_jobs")
_VACUUM = query("bench_vacuum")
_CHECKSUM = query("bench_adoption_checksum")
_WRITER_ROWS = query("bench_adoption_writer_rows")
_SIZE = query("bench_adoption_size")
_ADOPTED = query("bench_adoption_adopted")
_INSERT = query("bench_adoption_portal_insert")
_SCHEDULE = query("bench_adoption_portal_schedule")
_VERSION_TABLE_EXISTS = query("bench_adoption_version_table_exists")
_APPLIED = query("bench_adoption_applied_versions")
_BLOCKED = query("bench_adoption_blocked_writes")

SPAWN = multiprocessing.get_context("spawn")

_ALL_IDS = 2**31 - 1
_SEED_BATCH = 100_000
_WRITER_NAME = "mqp_jobs_bench_portal"
"""The writer's application_name, by which the watch finds it waiting."""
_WRITER_PAUSE = 0.01
"""Seconds the portal's writer sleeps between one submission (and schedule) and the next."""


@dataclass(frozen=True)
class PortalSize:
    users: int
    groups: int
    resources: int
    finished: int
    active: int
    hamiltonian: int
    baseline: float
    """Seconds the writer runs before the migration starts (and, shorter, after it ends)."""


FULL = PortalSize(
    users=2000,
    groups=20,
    resources=20,
    finished=1_000_000,
    active=4_000,
    hamiltonian=50_000,
    baseline=2.0,
)
QUICK = PortalSize(
    users=2000,
    groups=20,
    resources=20,
    finished=20_000,
    active=400,
    hamiltonian=1_000,
    baseline=1.0,
)


@dataclass(frozen=True)
class Checksum:
    circuit_rows: int
    circuit_last: int
    circuit_sum: int
    hamiltonian_rows: int
    hamiltonian_last: int
    hamiltonian_sum: int


@dataclass(frozen=True)
class Statement:
    kind: str
    started: float
    """time.monotonic() when it was sent (one clock for every process on the machine)."""
    seconds: float
    error: str = ""

    @property
    def ended(self) -> float:
        return self.started + self.seconds


# The portal's database, as its ORM made it


def create_portal_tables(conninfo: str) -> None:
    """The portal's tables and their indexes, as its ORM creates them: the DDL of migrations
    0001 and 0002, not recorded as migrations, so that ``migrate`` finds them and adopts them
    as it would on the portal's database."""
    portal_tables, portal_indexes = schema_migrations()[:2]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(portal_tables.statements()[0])  # package source, as migrate runs it
        for statement in portal_indexes.statements():
            conn.execute(statement)


def seed_portal(conninfo: str, size: PortalSize) -> None:
    counts = {"users": size.users, "groups": size.groups, "resources": size.resources}
    with psycopg.connect(conninfo) as conn:
        conn.execute(_SEED_PORTAL, counts)
        for first in range(1, size.finished + 1, _SEED_BATCH):
            last = min(first + _SEED_BATCH - 1, size.finished)
            conn.execute(
                _SEED_FINISHED, {**counts, "first": first, "last": last, "total": size.finished}
            )
        conn.execute(_SEED_ACTIVE, {**counts, "count": size.active})
        conn.execute(_SEED_HAMILTONIAN, {**counts, "count": size.hamiltonian})
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_VACUUM)


def checksum(
    conninfo: str, circuit_last: int = _ALL_IDS, hamiltonian_last: int = _ALL_IDS
) -> Checksum:
    with psycopg.connect(conninfo) as conn:
        found = conn.execute(
            _CHECKSUM, {"circuit_last": circuit_last, "hamiltonian_last": hamiltonian_last}
        ).fetchone()
    assert found is not None  # aggregates return one row
    return Checksum(*(int(part) for part in found))


# The portal writing meanwhile


def _portal_writer(
    conninfo: str, users: int, resources: int, ready: Any, stop: Any, results: Any
) -> None:
    """Submit circuit jobs and schedule earlier ones, one autocommit statement each, as the
    portal's ORM does, until ``stop`` is set; report every statement's start and duration."""
    done: list[Statement] = []
    pending: deque[int] = deque()
    with psycopg.connect(conninfo, autocommit=True, application_name=_WRITER_NAME) as conn:
        conn.prepare_threshold = None  # the ORM's driver sends plain statements
        ready.set()
        n = 0
        while not stop.is_set():
            n += 1
            owner = 1 + (n * 7919) % users
            target = 1 + (owner + n % 5) % resources  # five targets per user, as seeded
            params: dict[str, object] = {
                "shots": 1000,
                "circuit": "OPENQASM 2.0; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; "
                "measure q -> c;",
                "submitted": datetime.now(),
                "owner": f"u{owner}",
                "budget": f"budget-u{owner}",
                "target": f"target-qpu-{target:02d}",
            }
            done.append(_timed(conn, "INSERT", _INSERT, params, pending))
            if len(pending) > 10:
                schedule = {"id": pending.popleft(), "scheduled": datetime.now()}
                done.append(_timed(conn, "UPDATE", _SCHEDULE, schedule, None))
            time.sleep(_WRITER_PAUSE)
    results.put(done)


def _timed(
    conn: psycopg.Connection[Any],
    kind: str,
    statement: LiteralString,
    params: dict[str, object],
    ids: deque[int] | None,
) -> Statement:
    started = time.monotonic()
    clock = time.perf_counter()
    try:
        cur = conn.execute(statement, params)
        if ids is not None:
            found = cur.fetchone()
            if found is not None:
                ids.append(int(found[0]))
        elif cur.rowcount != 1:
            return Statement(kind, started, time.perf_counter() - clock, "no row updated")
    except psycopg.Error as exc:
        return Statement(kind, started, time.perf_counter() - clock, str(exc).strip())
    return Statement(kind, started, time.perf_counter() - clock)


@dataclass(frozen=True)
class Blocked:
    relation: str
    wanted: str
    held: str


class _StepWatch:
    """Notes when each migration becomes visible in mqp_schema_version, and which table
    locks the writer waits for, polling from a thread of its own, so that ``migrate`` can be
    timed step by step without being changed."""

    def __init__(self, conninfo: str) -> None:
        self.seen: dict[int, float] = {}
        self.blocked: dict[Blocked, tuple[float, float]] = {}
        """Each lock the writer was seen waiting for: first and last seen."""
        self._conninfo = conninfo
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> _StepWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            while not self._stop.wait(0.01):
                now = time.monotonic()
                for found in rows(conn, _BLOCKED, {"application": _WRITER_NAME}, Blocked):
                    self.blocked[found] = (self.blocked.get(found, (now, now))[0], now)
                if not value(conn, _VERSION_TABLE_EXISTS, {}):
                    continue
                for version in column(conn, _APPLIED, {}):
                    self.seen.setdefault(int(version), now)


# Figures


def _ms(samples: Sequence[Statement], pick: str) -> float:
    seconds = [s.seconds for s in samples]
    if not seconds:
        return 0.0
    return 1000 * (statistics.median(seconds) if pick == "median" else max(seconds))


def _during(samples: Sequence[Statement], start: float, end: float) -> list[Statement]:
    """The statements that were running at some moment between ``start`` and ``end``."""
    return [s for s in samples if s.started < end and s.ended > start]


@dataclass(frozen=True)
class Run:
    """What one adoption run measured."""

    seeding: float
    db_bytes: int
    jobs_bytes: int
    seeded: Checksum
    after: Checksum
    writer_rows: tuple[int, int]
    """Circuit jobs above the seeded ids, and how many of them are WAITING."""
    statements: list[Statement]
    migrate_start: float
    migrate_end: float
    steps: dict[int, float]
    """Each migration's version, and when it was first seen recorded."""
    blocked: dict[Blocked, tuple[float, float]]
    applied: list[int]
    adopted: tuple[int, int, int] | None
    """Claim groups, events logged, invalid indexes; None when migrate failed."""
    failure: str = ""


def run_adoption(server: str, size: PortalSize) -> Run:
    """Seed a portal database, then adopt it while the portal's writer runs; drop it."""
    with scratch.scratch_database(server, "mqp_jobs_bench_adopt", schema=False) as db:
        started = time.monotonic()
        create_portal_tables(db)
        seed_portal(db, size)
        seeding = time.monotonic() - started
        seeded = checksum(db)
        with psycopg.connect(db) as conn:
            db_bytes, jobs_bytes = conn.execute(_SIZE).fetchone() or (0, 0)

        ready, stop, results = SPAWN.Event(), SPAWN.Event(), SPAWN.Queue()
        writer = SPAWN.Process(
            target=_portal_writer, args=(db, size.users, size.resources, ready, stop, results)
        )
        writer.start()
        failure, applied = "", []
        try:
            if not ready.wait(60):
                raise RuntimeError("the portal's writer did not connect within 60 s")
            time.sleep(size.baseline)
            with _StepWatch(db) as watch:
                migrate_start = time.monotonic()
                try:
                    applied = migrate(db)
                except MigrationError as exc:
                    failure = str(exc)
                migrate_end = time.monotonic()
            time.sleep(size.baseline / 2)
            stop.set()
            statements: list[Statement] = results.get(timeout=60)
        finally:
            stop.set()
            writer.join(60)
            if writer.is_alive():
                writer.terminate()
                writer.join()

        with psycopg.connect(db) as conn:
            found = conn.execute(_WRITER_ROWS, {"last_id": seeded.circuit_last}).fetchone()
            writer_rows = (int(found[0]), int(found[1])) if found else (0, 0)
            adopted = None
            if not failure:
                counts = conn.execute(_ADOPTED).fetchone() or (0, 0, 0)
                adopted = (int(counts[0]), int(counts[1]), int(counts[2]))
        after = checksum(db, seeded.circuit_last, seeded.hamiltonian_last)
    return Run(
        seeding=seeding,
        db_bytes=int(db_bytes),
        jobs_bytes=int(jobs_bytes),
        seeded=seeded,
        after=after,
        writer_rows=writer_rows,
        statements=statements,
        migrate_start=migrate_start,
        migrate_end=migrate_end,
        steps=dict(watch.seen),
        blocked=dict(watch.blocked),
        applied=applied,
        adopted=adopted,
        failure=failure,
    )


def _step_windows(run: Run, start: float, end: float) -> dict[str, tuple[float, float]]:
    """Each migration's name and the time window it ran in, as the poller saw them."""
    windows: dict[str, tuple[float, float]] = {}
    opened = start
    for migration in schema_migrations():
        closed = run.steps.get(migration.version)
        if closed is None and migration.version in run.applied:
            closed = end  # recorded after the poller's last look
        if closed is None:
            continue
        windows[f"{migration.version:04d}_{migration.name}"] = (opened, min(closed, end))
        opened = closed
    return windows


def scenario_adoption(ctx: Context) -> None:
    size = QUICK if ctx.quick else FULL
    run = run_adoption(ctx.server, size)
    problems = report(ctx, size, run)
    if problems:
        raise RuntimeError("adoption benchmark: " + "; ".join(problems))


def report(ctx: Context, size: PortalSize, run: Run) -> list[str]:
    """Add the run's figures and notes to the report; return what went wrong, if anything."""
    start, end = run.migrate_start, run.migrate_end
    done = run.statements
    baseline = [s for s in done if s.ended <= start]
    migrating = _during(done, start, end)
    after = [s for s in done if s.started >= end]
    jobs = f"{run.seeded.circuit_rows:,} circuit + {run.seeded.hamiltonian_rows:,} Hamiltonian"
    ctx.add("adoption", f"adoption: migrate, {jobs} jobs", "s", end - start)
    # Each migration file commits on its own; the poller saw each version recorded.
    windows = _step_windows(run, start, end)
    for name, (opened, closed) in windows.items():
        ctx.add("adoption", f"adoption: {name}", "s", closed - opened)
    ctx.add(
        "adoption",
        "adoption: portal write latency while migrating, median",
        "ms",
        _ms(migrating, "median"),
        _ms(baseline, "median"),
        "before migrate",
    )
    ctx.add(
        "adoption",
        "adoption: longest portal write wait while migrating",
        "ms",
        _ms(migrating, "max"),
        _ms(baseline, "max"),
        "before migrate",
    )
    for name, (opened, closed) in windows.items():
        # A write counts in the step it was sent in.
        ctx.add(
            "adoption",
            f"adoption: longest portal write wait in {name}",
            "ms",
            _ms([x for x in done if opened <= x.started < closed], "max"),
            _ms(baseline, "max"),
            "before migrate",
        )
    ctx.add(
        "adoption",
        "adoption: portal write latency after adoption, median",
        "ms",
        _ms(after, "median"),
        _ms(baseline, "median"),
        "before migrate",
    )

    mib = 2**20
    ctx.note(
        f"adoption database: {size.users:,} users, {size.resources} resources and targets, "
        f"{run.seeded.circuit_rows:,} circuit jobs ({size.finished:,} finished, "
        f"{size.active:,} PENDING/WAITING), {run.seeded.hamiltonian_rows:,} Hamiltonian jobs; "
        f"{run.db_bytes / mib:,.0f} MiB (circuit_job with its indexes "
        f"{run.jobs_bytes / mib:,.0f} MiB); seeded and vacuumed in {run.seeding:.0f} s"
    )
    inserts = [s for s in done if s.kind == "INSERT"]
    failed = [s for s in done if s.error]
    ctx.note(
        f"adoption writer: {len(done):,} statements ({len(inserts):,} INSERT, "
        f"{len(done) - len(inserts):,} UPDATE), {len(failed)} failed; {len(baseline):,} before "
        f"migrate, {len(migrating):,} while migrating, {len(after):,} after"
        + (f"; first failure: {failed[0].error}" if failed else "")
    )
    if migrating:
        worst = max(migrating, key=lambda s: s.seconds)
        ctx.note(
            f"adoption: the longest wait was an {worst.kind} sent "
            f"{worst.started - start:+.2f} s after migrate started, which ran "
            f"{end - start:.2f} s"
            + "".join(
                f"; {name} done at {closed - start:.2f} s" for name, (_, closed) in windows.items()
            )
        )

    for lock, (first, last) in sorted(run.blocked.items(), key=lambda item: item[1]):
        ctx.note(
            f"adoption: the writer was seen waiting for {lock.wanted} on {lock.relation}, "
            f"held by the migration as {lock.held}, from {first - start:.2f} s to "
            f"{last - start:.2f} s into migrate (polled every 10 ms)"
        )

    problems = []
    if run.failure:
        problems.append(f"migrate failed: {run.failure}")
    elif run.applied != [m.version for m in schema_migrations()]:
        problems.append(f"migrate applied {run.applied}, not every migration")
    inserted_ok = sum(1 for s in inserts if not s.error)
    scheduled_ok = sum(1 for s in done if s.kind == "UPDATE" and not s.error)
    found, waiting = run.writer_rows
    total = run.seeded.circuit_rows + found
    expected = run.seeded.circuit_rows + inserted_ok
    if found != inserted_ok or waiting != scheduled_ok:
        problems.append(
            f"the writer inserted {inserted_ok} and scheduled {scheduled_ok} jobs, the table "
            f"holds {found} rows after the seed, {waiting} of them WAITING"
        )
    unchanged = run.after == run.seeded
    if not unchanged:
        problems.append(f"seeded rows changed: before {run.seeded}, after {run.after}")
    adopted = run.adopted
    if adopted is not None and adopted[2]:
        problems.append(f"{adopted[2]} invalid index(es) left")
    ctx.note(
        f"adoption check: {total:,} circuit jobs after the run = {run.seeded.circuit_rows:,} "
        f"seeded + {found:,} written meanwhile; the writer inserted {inserted_ok:,} ("
        + ("equal" if total == expected else "DIFFERENT")
        + f"), scheduled {scheduled_ok:,} ({waiting:,} WAITING found); seeded circuit and "
        "Hamiltonian rows "
        + ("unchanged (checksums equal)" if unchanged else "CHANGED")
        + (
            f"; {adopted[0]:,} claim groups, {adopted[1]:,} events logged since, "
            f"{adopted[2]} invalid indexes"
            if adopted is not None
            else ""
        )
    )
    return problems
