"""The benchmark suite: each figure is measured beside a reference (plain SQL or PgQueuer) in
one run, on copies of the same data, in databases of its own that are dropped afterwards."""

from __future__ import annotations

import multiprocessing
import platform
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, LiteralString

import psycopg
from psycopg.conninfo import conninfo_to_dict

from mqp_jobs import JobStore, NewCircuitJob, PoolSettings, resolve_conninfo
from mqp_jobs.tools import bench_adoption, bench_claims, bench_pgqueuer, scratch
from mqp_jobs.tools.db import integer
from mqp_jobs.tools.statements import query

_SEED_PORTAL = query("bench_seed_portal")
_SEED_JOBS = query("bench_seed_jobs")
_PLAIN_CLAIM = query("bench_plain_claim")
_PLAIN_INSERT = query("bench_plain_insert")
_COPY_JOBS = query("bench_copy_jobs")
_PLAIN_PAGE = query("bench_plain_page")
_PLAIN_COUNT = query("bench_plain_count")
_COUNT_JOBS = query("bench_count_jobs")
_DEAD_ROWS = query("bench_dead_rows")
_VACUUM = query("bench_vacuum")
_SERVER_VERSION = query("bench_server_version")
_MAX_WAITING = query("max_waiting_in_a_group")
_NO_JIT = query("bench_no_jit")
_BARE_COPY = query("bench_bare_copy")
_BARE_COPY_INDEXES = query("bench_bare_copy_indexes")
_BARE_COPY_PORTAL_INDEXES = query("bench_bare_copy_portal_indexes")
_BARE_CLAIM = query("bench_bare_claim")

RESOURCES = ["qpu-a", "qpu-b"]
CIRCUIT = "OPENQASM 2.0; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; measure q -> c;"
from mqp_jobs.tools.bench_scenarios import SCENARIOS  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Figure:
    """One line of the report: what was measured, for mqp_jobs and for its reference."""

    scenario: str
    name: str
    unit: str
    ours: float
    reference: float | None = None
    reference_name: str = ""
    batch: int | None = None
    """Jobs per claim, for the plot (the throughput and pgqueuer figures); None: not plotted."""
    consumers: int | None = None
    """Schedulers claiming at once, the plot's x axis; None: not plotted."""

    @property
    def ratio(self) -> float | None:
        return None if not self.reference else self.ours / self.reference


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure, echo: Callable[[str], None]) -> None:
        self.figures.append(figure)
        echo(format_figure(figure))

    def note(self, text: str, echo: Callable[[str], None]) -> None:
        self.notes.append(text)
        echo(f"  note: {text}")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def format_figure(f: Figure) -> str:
    ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
    return (
        f"{f.name:<62} {_number(f.ours):>10} {_number(f.reference):>10} {f.unit:<7} {ratio:>7}"
        + (f"  vs {f.reference_name}" if f.reference_name else "")
    )


HEADER = f"{'figure':<62} {'mqp_jobs':>10} {'reference':>10} {'unit':<7} {'ratio':>7}"


# Data


@dataclass(frozen=True)
class Dataset:
    users: int
    pending: int
    finished: int
    heavy_user_jobs: int = 0
    """Extra finished jobs of user u1, for a deep dashboard listing."""


def seed(conninfo: str, data: Dataset) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(_SEED_PORTAL, {"users": data.users, "resources": RESOURCES})
        batches = [
            ("COMPLETED", data.finished, data.users),
            ("COMPLETED", data.heavy_user_jobs, 1),
            ("PENDING", data.pending, data.users),
        ]
        for status, count, users in batches:
            if count:
                conn.execute(
                    _SEED_JOBS,
                    {"count": count, "status": status, "users": users, "resources": RESOURCES},
                )
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_VACUUM)


@contextmanager
def seeded_template(server: str, data: Dataset) -> Iterator[str]:
    """A migrated, seeded database to copy from; yields its name."""
    with scratch.scratch_database(server, "mqp_jobs_bench_tmpl") as db:
        seed(db, data)
        yield str(conninfo_to_dict(db)["dbname"])


@contextmanager
def copies(server: str, template: str, count: int) -> Iterator[list[str]]:
    """``count`` fresh copies of the template database; dropped afterwards."""
    names: list[str] = []
    try:
        for _ in range(count):
            names.append(scratch.create(server, "mqp_jobs_bench_copy", template))
        yield [scratch.conninfo_for(server, name) for name in names]
    finally:
        for name in names:
            scratch.drop(server, name)


def _store(conninfo: str, size: int = 1) -> JobStore:
    store = JobStore(conninfo, settings=PoolSettings(min_size=size, max_size=size)).open()
    store.fetch_by_identity("u1")  # the pool's connection is open before anything is timed
    return store


def _warm(conninfo: str) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(_COUNT_JOBS)


# Claims


def _api_round(conninfo: str) -> tuple[float, int]:
    store = _store(conninfo)
    started = time.perf_counter()
    moved = len(store.claim_jobs())
    seconds = time.perf_counter() - started
    store.close()
    return seconds, moved


def _plain_round(
    conninfo: str, count: int, statement: LiteralString = _PLAIN_CLAIM
) -> tuple[float, int]:
    with psycopg.connect(conninfo) as conn:
        conn.execute(_NO_JIT)
        conn.commit()
        started = time.perf_counter()
        moved = len(conn.execute(statement, {"rows": count}).fetchall())
        conn.commit()
        return time.perf_counter() - started, moved


def _bare_copy(conninfo: str, portal_indexes: bool) -> None:
    """The bare copy of circuit_job the textbook dequeue runs on, with the portal's four
    reference indexes or without them."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_BARE_COPY)
        conn.execute(_BARE_COPY_INDEXES)
        if portal_indexes:
            conn.execute(_BARE_COPY_PORTAL_INDEXES)


@dataclass(frozen=True)
class ClaimRound:
    """Median seconds of one full claim round: through the API, and of the textbook dequeue of
    as many rows on the same table (its triggers and indexes), on a bare copy with the
    portal's reference indexes, and on a bare copy (primary key and pending index only)."""

    ours: float
    plain: float
    moved: int
    portal_bare: float | None = None
    bare: float | None = None


def claim_round(server: str, template: str, repeats: int, floors: bool = False) -> ClaimRound:
    """One full claim round through the API and the textbook dequeue of as many rows, each on
    its own copy of the same data; with ``floors``, also on the two bare copies."""
    ours: list[float] = []
    plain: list[float] = []
    portal_bare: list[float] = []
    bare: list[float] = []
    moved = 0
    for _ in range(repeats):
        with copies(server, template, 4 if floors else 2) as databases:
            api_db, plain_db = databases[:2]
            for bare_db, portal_indexes in zip(databases[2:], (True, False), strict=False):
                _bare_copy(bare_db, portal_indexes)
            for db in databases:
                _warm(db)
            seconds, moved = _api_round(api_db)
            ours.append(seconds)
            references = [(plain_db, _PLAIN_CLAIM, plain)]
            if floors:
                references += [
                    (databases[2], _BARE_CLAIM, portal_bare),
                    (databases[3], _BARE_CLAIM, bare),
                ]
            for db, statement, samples in references:
                seconds, plain_moved = _plain_round(db, moved, statement)
                samples.append(seconds)
                if plain_moved != moved:
                    raise RuntimeError(f"a reference moved {plain_moved} rows, the API {moved}")
    return ClaimRound(
        statistics.median(ours),
        statistics.median(plain),
        moved,
        statistics.median(portal_bare) if portal_bare else None,
        statistics.median(bare) if bare else None,
    )


def _claim_and_complete(
    conninfo: str,
    batch: int,
    seconds: float | None,
    bulk: bool,
    start: Any,
    results: Any,
    submitted: Any = None,
) -> None:
    """One scheduler: claim up to ``batch`` jobs and complete them (each in its own call, or
    all in one with ``bulk``), until the time is up or (``seconds`` None) the queue is empty.
    Reports jobs done and claim latencies. With ``submitted`` (an event), an empty queue ends
    the run only once the event is set."""
    store = _store(conninfo)
    start.wait()
    done, latencies = 0, []
    deadline = None if seconds is None else time.monotonic() + seconds
    idle = 0
    while deadline is None or time.monotonic() < deadline:
        started = time.perf_counter()
        jobs = store.claim_jobs(limit=batch)
        latencies.append((time.monotonic(), time.perf_counter() - started))
        if bulk:
            store.complete_jobs_with_results(
                [
                    {"job_id": j.id, "result": '{"00": 100}', "executed_resource": "qpu-a"}
                    for j in jobs
                ]
            )
        else:
            for job in jobs:
                store.complete_job_with_result(job.id, '{"00": 100}', "qpu-a", None)
        done += len(jobs)
        idle = 0 if jobs else idle + 1
        if deadline is None and idle >= 3 and (submitted is None or submitted.is_set()):
            break
        if not jobs:
            time.sleep(0.01)
    results.put((done, latencies))
    store.close()


def run_schedulers(
    conninfo: str,
    schedulers: int,
    batch: int,
    seconds: float | None,
    bulk: bool = False,
    submitted: Any = None,
) -> tuple[float, list[tuple[float, float]]]:
    """Jobs per second of ``schedulers`` processes claiming and completing, and every claim's
    (time, latency)."""
    start, results = SPAWN.Barrier(schedulers + 1), SPAWN.Queue()
    workers = [
        SPAWN.Process(
            target=_claim_and_complete,
            args=(conninfo, batch, seconds, bulk, start, results, submitted),
        )
        for _ in range(schedulers)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.monotonic()
    reports = [results.get(timeout=3600) for _ in workers]
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join()
    total = sum(done for done, _ in reports)
    return float(total) / elapsed, sorted(t for _, times in reports for t in times)


# Scenarios


def scenario_claim_round(ctx: Context) -> None:
    found = claim_round(ctx.server, ctx.claim_template, repeats=ctx.repeats, floors=True)
    data = ctx.claim_data
    name = f"claim round: {found.moved:,} of {data.pending:,} pending, {data.finished:,} finished"
    references = (
        (found.plain, "textbook dequeue, same table (its triggers, all its indexes)"),
        (found.portal_bare, "textbook dequeue, bare copy + the portal's 4 reference indexes"),
        (found.bare, "textbook dequeue, bare copy (primary key + pending index)"),
    )
    for reference, reference_name in references:
        ctx.add(
            "claim-round",
            name,
            "ms",
            found.ours * 1000,
            None if reference is None else reference * 1000,
            reference_name,
        )
    per_job = [
        f"{label} {seconds * 1e6 / max(found.moved, 1):,.1f}"
        for label, seconds in (
            ("bare copy", found.bare),
            ("+ the portal's indexes", found.portal_bare),
            ("+ the package's indexes and triggers", found.plain),
            ("mqp_jobs' claim", found.ours),
        )
        if seconds is not None
    ]
    ctx.note("claim round, microseconds per claimed job: " + "; ".join(per_job))


def scenario_throughput(ctx: Context) -> None:
    for schedulers in (1, 2, 4):
        with copies(ctx.server, ctx.claim_template, 1) as (db,):
            rate, _ = run_schedulers(db, schedulers, batch=100, seconds=ctx.window)
        ctx.add(
            "throughput",
            f"claim (limit 100) + complete, {schedulers} scheduler(s), 2,000 users",
            "jobs/s",
            rate,
            batch=100,
            consumers=schedulers,
        )


def scenario_history(ctx: Context) -> None:
    data = ctx.claim_data
    empty = Dataset(users=data.users, pending=data.pending, finished=0)
    with seeded_template(ctx.server, empty) as bare:
        without = claim_round(ctx.server, bare, repeats=ctx.repeats)
    with_history = claim_round(ctx.server, ctx.claim_template, repeats=ctx.repeats)
    ctx.add(
        "history",
        f"claim round of {without.moved:,}: {data.finished:,} finished vs none",
        "ms",
        with_history.ours * 1000,
        without.ours * 1000,
        "no finished history",
    )


def _create_one_by_one(conninfo: str, count: int) -> float:
    store = _store(conninfo)
    started = time.perf_counter()
    for n in range(count):
        store.create_job(100, CIRCUIT, f"u{1 + n % 100}", "bench", "target-qpu-a", "qasm2")
    seconds = time.perf_counter() - started
    store.close()
    return count / seconds


def _insert_one_by_one(conninfo: str, count: int) -> float:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        started = time.perf_counter()
        for n in range(count):
            conn.execute(
                _PLAIN_INSERT,
                {
                    "shots": 100,
                    "circuit": CIRCUIT,
                    "circuit_format": "qasm2",
                    "owner": f"u{1 + n % 100}",
                    "budget": "bench",
                    "target_spec": "target-qpu-a",
                },
            )
        return count / (time.perf_counter() - started)


def _batch(count: int) -> list[NewCircuitJob]:
    return [
        {
            "shots": 100,
            "circuit": CIRCUIT,
            "owner": f"u{1 + n % 100}",
            "budget": "bench",
            "target_spec": "target-qpu-a",
            "circuit_format": "qasm2",
        }
        for n in range(count)
    ]


def _create_in_bulk(conninfo: str, count: int) -> float:
    store = _store(conninfo)
    jobs = _batch(count)
    started = time.perf_counter()
    store.create_jobs(jobs)
    seconds = time.perf_counter() - started
    store.close()
    return count / seconds


def _copy_in(conninfo: str, count: int) -> float:
    rows = [(100, CIRCUIT, "qasm2", job["owner"], "bench", "target-qpu-a") for job in _batch(count)]
    with psycopg.connect(conninfo) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(_COPY_JOBS) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return count / (time.perf_counter() - started)


def scenario_create(ctx: Context) -> None:
    portal = Dataset(users=100, pending=0, finished=0)
    one_by_one, bulk = (200, 2_000) if ctx.quick else (1_000, 20_000)
    with seeded_template(ctx.server, portal) as template, copies(ctx.server, template, 4) as dbs:
        ours = _create_one_by_one(dbs[0], one_by_one)
        plain = _insert_one_by_one(dbs[1], one_by_one)
        ctx.add(
            "create", "create_job, one call per job", "jobs/s", ours, plain, "plain INSERT each"
        )
        ours = _create_in_bulk(dbs[2], bulk)
        plain = _copy_in(dbs[3], bulk)
        ctx.add("create", f"create_jobs, {bulk:,} jobs in one call", "jobs/s", ours, plain, "COPY")


def _median_ms(run: Callable[[], object], times: int = 15) -> float:
    run()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def scenario_page(ctx: Context) -> None:
    total = 100_000 if ctx.quick else 1_000_000
    heavy = total // 10
    data = Dataset(users=2000, pending=0, finished=total - heavy, heavy_user_jobs=heavy)
    with scratch.scratch_database(ctx.server, "mqp_jobs_bench_page") as db:
        seed(db, data)
        store = _store(db)
        owner_jobs = heavy + (total - heavy) // data.users
        with psycopg.connect(db) as conn:
            for label, page in (("first page", 0), ("deep page", owner_jobs // 20 // 2)):

                def ours(page: int = page) -> object:
                    return store.fetch_by_identity_pages("u1", page, 20, "DESC", None, None)

                def plain(page: int = page, conn: psycopg.Connection[Any] = conn) -> object:
                    conn.execute(_PLAIN_COUNT, {"owner": "u1"}).fetchone()
                    return conn.execute(
                        _PLAIN_PAGE, {"owner": "u1", "limit": 20, "offset": page * 20}
                    ).fetchall()

                ctx.add(
                    "page",
                    f"dashboard {label} (#{page}) of {owner_jobs:,} jobs, {total:,} rows",
                    "ms",
                    _median_ms(ours),
                    _median_ms(plain),
                    "plain count + page",
                )
        store.close()


def scenario_pgqueuer(ctx: Context) -> None:
    if not bench_pgqueuer.available():
        ctx.note(
            "PgQueuer is not installed: .venv/bin/pip install -e '.[bench]' to compare with it"
        )
        return
    jobs = 1_000 if ctx.quick else 5_000
    fifo = Dataset(users=jobs, pending=jobs, finished=0)  # one job per user: no limit binds
    with seeded_template(ctx.server, fifo) as template:
        for batch in (10, 100):
            for consumers in (1, 2, 4):
                with copies(ctx.server, template, 1) as (db,):
                    ours, _ = run_schedulers(db, consumers, batch, seconds=None, bulk=True)
                with scratch.scratch_database(ctx.server, "mqp_jobs_bench_pgq", schema=False) as q:
                    theirs = bench_pgqueuer.claim_and_complete(q, jobs, batch, consumers)
                ctx.add(
                    "pgqueuer",
                    f"FIFO claim + batch complete {jobs:,} jobs, batch {batch}, "
                    f"{consumers} consumer(s)",
                    "jobs/s",
                    ours,
                    theirs,
                    "PgQueuer dequeue + log_jobs",
                    batch=batch,
                    consumers=consumers,
                )


def _submit_in_batches(conninfo: str, count: int, submitted: Any) -> None:
    store = _store(conninfo)
    for start in range(0, count, 1000):
        batch = _batch(min(1000, count - start))
        for n, job in enumerate(batch):
            job["owner"] = f"u{1 + (start + n) % 2000}"
        store.create_jobs(batch)
    submitted.set()
    store.close()


def _probe_claim(conninfo: str, jobs: int = 1000) -> float:
    """Milliseconds of one claim round over a fresh batch of ``jobs`` jobs (one per user),
    which are then completed: the same work before and after a soak, so any difference is
    what the soak left behind."""
    store = _store(conninfo)
    batch = _batch(jobs)
    for n, job in enumerate(batch):
        job["owner"] = f"u{1 + n}"
    store.create_jobs(batch)
    started = time.perf_counter()
    claimed = store.claim_jobs()
    seconds = time.perf_counter() - started
    store.complete_jobs_with_results(
        [{"job_id": job.id, "executed_resource": "qpu-a"} for job in claimed]
    )
    store.close()
    return seconds * 1000


def scenario_soak(ctx: Context) -> None:
    count = 10_000 if ctx.quick else 100_000
    portal = Dataset(users=2000, pending=0, finished=0)
    with scratch.scratch_database(ctx.server, "mqp_jobs_bench_soak") as db:
        seed(db, portal)
        _probe_claim(db)  # creates the probe's groups and warms the cache
        before = statistics.median(_probe_claim(db) for _ in range(3))
        submitted = SPAWN.Event()
        submitter = SPAWN.Process(target=_submit_in_batches, args=(db, count, submitted))
        submitter.start()
        rate, _ = run_schedulers(db, 4, 100, seconds=None, bulk=True, submitted=submitted)
        submitter.join()
        after = statistics.median(_probe_claim(db) for _ in range(3))
        with psycopg.connect(db) as conn:
            dead, live, autovacuums, _ = conn.execute(_DEAD_ROWS).fetchone() or (0, 0, 0, 0)
            most_waiting = integer(conn, _MAX_WAITING, {})
        ctx.add(
            "soak",
            f"soak: {count:,} jobs created, claimed, completed in batches; 4 schedulers",
            "jobs/s",
            rate,
        )
        ctx.add(
            "soak",
            "soak: claim round of 1,000 fresh jobs, after the soak vs before",
            "ms",
            after,
            before,
            "before the soak",
        )
        ctx.note(
            f"soak end: {dead:,} dead and {live:,} live job rows, autovacuum ran {autovacuums}x,"
            f" most WAITING in one group {most_waiting}"
        )


@dataclass
class Context:
    server: str
    quick: bool
    report: Report
    echo: Callable[[str], None]
    claim_data: Dataset
    claim_template: str = ""

    @property
    def repeats(self) -> int:
        return 1 if self.quick else 3

    @property
    def window(self) -> float:
        return 2.0 if self.quick else 5.0

    def add(
        self,
        scenario: str,
        name: str,
        unit: str,
        ours: float,
        reference: float | None = None,
        reference_name: str = "",
        *,
        batch: int | None = None,
        consumers: int | None = None,
    ) -> None:
        self.report.add(
            Figure(scenario, name, unit, ours, reference, reference_name, batch, consumers),
            self.echo,
        )

    def note(self, text: str, echo: Callable[[str], None] | None = None) -> None:
        self.report.note(text, echo or self.echo)


RUNNERS: dict[str, Callable[[Context], None]] = {
    "claim-round": scenario_claim_round,
    "claim-shapes": bench_claims.scenario_claim_shapes,
    "throughput": scenario_throughput,
    "history": scenario_history,
    "create": scenario_create,
    "page": scenario_page,
    "pgqueuer": scenario_pgqueuer,
    "soak": scenario_soak,
    "adoption": bench_adoption.scenario_adoption,
}


def run(
    server: str | None,
    *,
    quick: bool = False,
    only: Sequence[str] = SCENARIOS,
    echo: Callable[[str], None] = print,
) -> Report:
    """Run the chosen scenarios against the PostgreSQL server ``server`` points at."""
    base = resolve_conninfo(server)
    for name in scratch.drop_orphans(base, "mqp_jobs_bench"):
        echo(f"dropped {name}, left behind by a benchmark that was killed")
    scale = 10 if quick else 1
    ctx = Context(
        server=base,
        quick=quick,
        report=Report(),
        echo=echo,
        claim_data=Dataset(users=2000 // scale, pending=20_000 // scale, finished=200_000 // scale),
    )
    echo(HEADER)
    needs_claim_data = {"claim-round", "throughput", "history"} & set(only)
    chosen = [name for name in SCENARIOS if name in only]
    started = time.monotonic()
    with seeded_template(base, ctx.claim_data) if needs_claim_data else _no_template() as template:
        ctx.claim_template = template
        for number, name in enumerate(chosen, 1):
            echo(f"[{number}/{len(chosen)}] {name} (at {time.monotonic() - started:.0f} s)")
            RUNNERS[name](ctx)
    echo(f"done in {time.monotonic() - started:.0f} s")
    return ctx.report


@contextmanager
def _no_template() -> Iterator[str]:
    yield ""


def machine(server: str | None) -> str:
    with psycopg.connect(resolve_conninfo(server)) as conn:
        version = conn.execute(_SERVER_VERSION).fetchone()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    cores = multiprocessing.cpu_count()
    return (
        f"{platform.machine()}, {cores} cores{memory}, PostgreSQL {version[0] if version else '?'}"
        f", Python {platform.python_version()}, psycopg {psycopg.__version__}"
    )


def write_markdown(report: Report, path: Path, machine_text: str, command: str) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {date.today().isoformat()} with `{command}` on {machine_text}.",
        "Each ratio compares mqp_jobs with its reference measured in the same run, on the same",
        "server and the same data; absolute figures vary about 2x between runs on this machine.",
        "Where each microsecond of a claim and a completion goes:",
        "[Where the time goes](performance.md#where-the-time-goes).",
        "",
        "| scenario | figure | mqp_jobs | reference | unit | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for f in report.figures:
        reference = f"{_number(f.reference)} ({f.reference_name})" if f.reference_name else ""
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
        lines.append(
            f"| {f.scenario} | {f.name} | {_number(f.ours)} | {reference} | {f.unit} | {ratio} |"
        )
    if report.notes:
        lines += ["", *[f"- {note}" for note in report.notes]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class PlotLine:
    """One line of write_plot's chart: jobs per second by schedulers."""

    label: str
    style: str
    consumers: list[int]
    rates: list[float]


def _plotted(figures: Sequence[Figure], scenario: str, batch: int | None = None) -> list[Figure]:
    return [
        f
        for f in figures
        if f.scenario == scenario
        and f.consumers is not None
        and f.batch is not None
        and (batch is None or f.batch == batch)
    ]


def plot_lines(report: Report) -> list[PlotLine]:
    """write_plot's lines, from the figures' ``batch`` and ``consumers``: per batch size,
    mqp_jobs and PgQueuer; then mqp_jobs' own throughput with the limit binding."""
    lines = []
    for batch in (10, 100):
        points = _plotted(report.figures, "pgqueuer", batch)
        if not points:
            continue
        consumers = [f.consumers or 0 for f in points]
        lines.append(
            PlotLine(f"mqp_jobs, batch {batch}", "o-", consumers, [f.ours for f in points])
        )
        lines.append(
            PlotLine(
                f"PgQueuer, batch {batch}", "s--", consumers, [f.reference or 0 for f in points]
            )
        )
    own = _plotted(report.figures, "throughput")
    if own:
        lines.append(
            PlotLine(
                f"mqp_jobs, batch {own[0].batch}, one completion per call, limit binding",
                "^:",
                [f.consumers or 0 for f in own],
                [f.ours for f in own],
            )
        )
    return lines


def write_plot(report: Report, path: Path) -> bool:
    """Claims per second by consumers, both libraries; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for line in plot_lines(report):
        axes.plot(line.consumers, line.rates, line.style, label=line.label)
    axes.set_xlabel("schedulers (consumer processes)")
    axes.set_ylabel("jobs claimed and completed per second")
    axes.set_yscale("log")
    axes.set_xticks([1, 2, 4])
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title("FIFO claim + complete on one PostgreSQL server")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


_NAMED_PLOT_FIELDS = {
    # The table holds only the names: the batch and the consumers as scenario_throughput and
    # scenario_pgqueuer write them there.
    "throughput": re.compile(r"\(limit (?P<batch>\d+)\) .*, (?P<consumers>\d+) scheduler\(s\),"),
    "pgqueuer": re.compile(r", batch (?P<batch>\d+), (?P<consumers>\d+) consumer\(s\)$"),
}


def _plot_fields(scenario: str, name: str) -> tuple[int | None, int | None]:
    """A figure's batch and consumers, read back from its name in a written report."""
    pattern = _NAMED_PLOT_FIELDS.get(scenario)
    found = None if pattern is None else pattern.search(name)
    if found is None:
        return None, None
    return int(found["batch"]), int(found["consumers"])


def read_markdown(path: Path) -> Report:
    """The figures of a report ``write_markdown`` wrote (to plot them again)."""
    report = Report()
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("scenario", "---"):
            continue
        scenario, name, ours, reference, unit, _ = cells
        number, _, reference_name = reference.partition(" (")
        report.figures.append(
            Figure(
                scenario,
                name,
                unit,
                float(ours.replace(",", "")),
                float(number.replace(",", "")) if number else None,
                reference_name.removesuffix(")"),
                *_plot_fields(scenario, name),
            )
        )
    return report


def ratio_plot_path(path: Path) -> Path:
    """Where write_plot's companion, the ratios, goes: beside it, ``-ratios`` added."""
    return path.with_name(f"{path.stem}-ratios{path.suffix}")


def write_ratio_plot(report: Report, path: Path) -> bool:
    """Each figure's cost against its reference's as a bar (time ratio: for rates, the
    reference's rate over ours), 1 meaning the same; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figures = [f for f in report.figures if f.ratio]
    costs = [f.ratio if f.unit != "jobs/s" else 1 / f.ratio for f in figures if f.ratio]
    labels = [f"{f.name}\nvs {f.reference_name}" for f in figures]
    figure, axes = plt.subplots(figsize=(9, 0.55 * len(figures) + 1.4))
    rows = list(range(len(figures)))[::-1]
    colours = ["tab:green" if c <= 1.25 else "tab:orange" if c <= 2 else "tab:red" for c in costs]
    axes.barh(rows, costs, color=colours, height=0.6)
    for row, cost in zip(rows, costs, strict=True):
        axes.annotate(f" {cost:.2f}x", (cost, row), va="center", fontsize=7)
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_yticks(rows, labels, fontsize=7)
    axes.set_xlabel(
        "time per job or per call: mqp_jobs / reference (1 = the same; lower is better)"
    )
    axes.set_xlim(0, max([*costs, 1.0]) * 1.15)
    axes.grid(True, axis="x", alpha=0.3)
    axes.set_title("What mqp_jobs costs against a reference measured in the same run", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return True
