"""The claim's cost shapes: what one claim costs beside a queue that makes a naive claim read
far more than it moves. Each shape is built in a database of its own; the same claim is timed
before and after the shape's bulk is added, so the ratio shows what the bulk costs the claim
(1.0: nothing)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from mqp_jobs import ClaimFilter, JobStore, PoolSettings
from mqp_jobs.tools import scratch
from mqp_jobs.tools.statements import query

if TYPE_CHECKING:  # bench imports this module to run its scenario
    from mqp_jobs.tools.bench import Context

_SEED_PORTAL = query("bench_seed_portal")
_SHAPE_JOBS = query("bench_shape_jobs")
_REQUEUE = query("bench_shape_requeue")
_ANALYZE = query("bench_analyze")

USERS = 50
HEAVY = USERS + 1
"""The user with the backlog: u51; the others are u1..u50."""
WAITING_TARGETS = 20
RESOURCES = ["qpu-a", "qpu-b", "qpu-m"] + [f"qpu-w{n}" for n in range(1, WAITING_TARGETS + 1)]


@dataclass(frozen=True)
class Jobs:
    """A block of jobs that bench_shape_jobs inserts."""

    count: int
    target: str
    start: int
    status: str = "PENDING"
    queued: bool = False
    first_user: int = 1
    users: int = USERS


@dataclass(frozen=True)
class Shape:
    """A queue shape: the jobs a claim should find, the bulk it should not pay for, and the
    claim that is timed."""

    name: str
    claim: ClaimFilter | None
    limit: int
    line: tuple[Jobs, ...]
    bulk: Callable[[int], tuple[Jobs, ...]]
    """The bulk at a given size (number of jobs)."""


def _others(target: str = "target-qpu-a") -> Jobs:
    """100 jobs of u1..u50 submitted after everything else: what the claim should take."""
    return Jobs(100, target, start=5_000_000)


SHAPES = (
    Shape(
        "one user's backlog first in line, its 2 slots full",
        None,
        10,
        (Jobs(2, "target-qpu-a", 0, "WAITING", first_user=HEAVY, users=1), _others()),
        lambda size: (Jobs(size, "target-qpu-a", 10, first_user=HEAVY, users=1),),
    ),
    Shape(
        "queued jobs held by a maintenance window first in line",
        None,
        10,
        (_others("target-qpu-b"),),
        lambda size: (Jobs(size // 5, "target-qpu-m", 0, queued=True),),
    ),
    Shape(
        "a per-resource scheduler beside finished history and another resource's line",
        ClaimFilter(resource="qpu-a", users=[f"u{n}" for n in range(1, USERS + 1)]),
        10,
        (_others(),),
        lambda size: (
            Jobs(2 * size, "target-qpu-a", 0, "COMPLETED"),
            Jobs(size // 5, "target-qpu-b", 10),
        ),
    ),
    Shape(
        "a limit=1 claim beside the WAITING jobs of many other groups",
        None,
        1,
        (_others(),),
        lambda size: tuple(
            Jobs(size // 2 // WAITING_TARGETS, f"target-qpu-w{n}", 0, "WAITING")
            for n in range(1, WAITING_TARGETS + 1)
        ),
    ),
)


def _insert(conninfo: str, blocks: tuple[Jobs, ...]) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for block in blocks:
            conn.execute(
                _SHAPE_JOBS,
                {
                    "count": block.count,
                    "target": block.target,
                    "start": block.start,
                    "status": block.status,
                    "queued": block.queued,
                    "first_user": block.first_user,
                    "users": block.users,
                },
            )
        conn.execute(_ANALYZE)


def _median_claim_ms(store: JobStore, conninfo: str, shape: Shape, times: int) -> float:
    """The median time of the shape's claim; after each, the claimed jobs are put back in line
    (untimed), so every claim sees the same queue."""
    samples = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for n in range(times + 1):
            started = time.perf_counter()
            jobs = store.claim_jobs(shape.claim, limit=shape.limit)
            elapsed = time.perf_counter() - started
            if len(jobs) != shape.limit:
                raise RuntimeError(f"{shape.name}: claimed {len(jobs)} of {shape.limit}")
            conn.execute(_REQUEUE, {"job_ids": [job.id for job in jobs]})
            if n:  # the first claim warms the cache
                samples.append(elapsed)
    return statistics.median(samples) * 1000


def scenario_claim_shapes(ctx: Context) -> None:
    """Each shape's claim with and without its bulk: the ratio is what the bulk costs."""
    size = 10_000 if ctx.quick else 100_000
    times = 5 if ctx.quick else 15
    for shape in SHAPES:
        with scratch.scratch_database(ctx.server, "mqp_jobs_bench_shape") as db:
            with psycopg.connect(db) as conn:
                conn.execute(_SEED_PORTAL, {"users": HEAVY, "resources": RESOURCES})
            settings = PoolSettings(min_size=1, max_size=1)
            with JobStore(db, settings=settings) as store:
                store.set_resource_maintenance("qpu-m", True)
                _insert(db, shape.line)
                without = _median_claim_ms(store, db, shape, times)
                bulk = shape.bulk(size)
                _insert(db, bulk)
                with_bulk = _median_claim_ms(store, db, shape, times)
        added = sum(block.count for block in bulk)
        ctx.add(
            "claim-shapes",
            f"claim (limit {shape.limit}), {shape.name}: {added:,} jobs vs none",
            "ms",
            with_bulk,
            without,
            "the same claim without them",
        )
