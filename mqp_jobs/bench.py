"""The benchmark suite: each figure is measured side by side with plain SQL, in one run, on
copies of the same data, in databases of its own that are dropped afterwards."""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from mqp_jobs import scratch
from mqp_jobs.connection import PoolSettings, resolve_conninfo
from mqp_jobs.queries import query
from mqp_jobs.store import JobStore

_SEED_PORTAL = query("bench_seed_portal")
_SEED_JOBS = query("bench_seed_jobs")
_PLAIN_CLAIM = query("bench_plain_claim")
_COUNT_JOBS = query("bench_count_jobs")
_VACUUM = query("bench_vacuum")

RESOURCES = ["qpu-a", "qpu-b"]


@dataclass(frozen=True)
class Figure:
    """One line of the report: what was measured, for mqp_jobs and for its reference."""

    name: str
    unit: str
    ours: float
    reference: float | None = None
    reference_name: str = "plain SQL"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.reference else self.ours / self.reference


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure, echo: Callable[[str], None]) -> None:
        self.figures.append(figure)
        echo(format_figure(figure))


def format_figure(f: Figure) -> str:
    ratio = "" if f.ratio is None else f"{f.ratio:6.2f}x"
    reference = "" if f.reference is None else f"{f.reference:10.1f}"
    return f"{f.name:<58} {f.ours:10.1f} {reference:>10} {f.unit:<8} {ratio}"


@dataclass(frozen=True)
class Dataset:
    users: int
    pending: int
    finished: int


def seed(conninfo: str, data: Dataset) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(_SEED_PORTAL, {"users": data.users, "resources": RESOURCES})
        for status, count in (("COMPLETED", data.finished), ("PENDING", data.pending)):
            if count:
                conn.execute(
                    _SEED_JOBS,
                    {"count": count, "status": status, "users": data.users, "resources": RESOURCES},
                )
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_VACUUM)


@contextmanager
def copies(server: str, template: str, count: int) -> Iterator[list[str]]:
    """``count`` fresh copies of the template database; dropped afterwards."""
    names = [scratch.create(server, "mqp_jobs_bench_copy", template) for _ in range(count)]
    try:
        yield [scratch.conninfo_for(server, name) for name in names]
    finally:
        for name in names:
            scratch.drop(server, name)


def _warm(conninfo: str) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(_COUNT_JOBS)


def _api_round(conninfo: str) -> tuple[float, int]:
    store = JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=1))
    store.fetch_by_identity("u1")  # the pool's connection is open before timing
    started = time.perf_counter()
    moved = len(store.fetch_all_pending_jobs())
    seconds = time.perf_counter() - started
    store.close()
    return seconds, moved


def _plain_round(conninfo: str, count: int) -> tuple[float, int]:
    with psycopg.connect(conninfo) as conn:
        conn.execute(_COUNT_JOBS)
        conn.commit()
        started = time.perf_counter()
        moved = len(conn.execute(_PLAIN_CLAIM, {"rows": count}).fetchall())
        conn.commit()
        return time.perf_counter() - started, moved


def claim_round(server: str, template: str, repeats: int) -> tuple[float, float, int]:
    """Median seconds of one full claim round through the API and of the plain statement
    moving as many rows, each on its own copy of the same data."""
    ours, plain, moved = [], [], 0
    for _ in range(repeats):
        with copies(server, template, 2) as (api_db, plain_db):
            _warm(api_db)
            _warm(plain_db)
            seconds, moved = _api_round(api_db)
            ours.append(seconds)
            seconds, plain_moved = _plain_round(plain_db, moved)
            plain.append(seconds)
            if plain_moved != moved:
                raise RuntimeError(f"plain claim moved {plain_moved} rows, the API {moved}")
    return statistics.median(ours), statistics.median(plain), moved


def _scheduler(conninfo: str, batch: int, seconds: float, start: Any, results: Any) -> None:
    store = JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=1))
    store.fetch_by_identity("u1")
    start.wait()
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs = store.fetch_all_pending_jobs(limit=batch)
        for job in jobs:
            store.complete_job_with_result(job.id, '{"00": 100}', "qpu-a", None)
        done += len(jobs)
    results.put(done)
    store.close()


def throughput(conninfo: str, schedulers: int, batch: int, seconds: float) -> float:
    """Jobs claimed and completed per second by ``schedulers`` processes."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(schedulers + 1), context.Queue()
    workers = [
        context.Process(target=_scheduler, args=(conninfo, batch, seconds, start, results))
        for _ in range(schedulers)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.monotonic()
    total = sum(results.get(timeout=seconds + 60) for _ in workers)
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join()
    return float(total) / elapsed


def run(
    server: str | None,
    *,
    quick: bool = False,
    echo: Callable[[str], None] = print,
) -> Report:
    """Run the suite against the PostgreSQL server ``server`` points at."""
    base = resolve_conninfo(server)
    report = Report()
    scale = 10 if quick else 1
    data = Dataset(users=2000 // scale, pending=20_000 // scale, finished=200_000 // scale)
    echo(f"{'figure':<58} {'mqp_jobs':>10} {'reference':>10} {'unit':<8} ratio")
    with scratch.scratch_database(base, "mqp_jobs_bench_tmpl") as template_db:
        seed(template_db, data)
        template = psycopg.conninfo.conninfo_to_dict(template_db)["dbname"]
        ours, plain, moved = claim_round(base, str(template), repeats=1 if quick else 3)
        report.add(
            Figure(
                f"claim round: {moved} of {data.pending} pending, {data.finished} finished",
                "ms",
                ours * 1000,
                plain * 1000,
                "plain UPDATE ... SKIP LOCKED",
            ),
            echo,
        )
        for schedulers in (1, 2, 4):
            with copies(base, str(template), 1) as (db,):
                rate = throughput(db, schedulers, batch=100, seconds=2 if quick else 5)
            report.add(
                Figure(f"claim + complete, batch 100, {schedulers} scheduler(s)", "jobs/s", rate),
                echo,
            )
    return report
