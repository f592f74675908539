"""The same FIFO workload through PgQueuer's own API (the optional ``bench`` extra), for the
side-by-side figures of the benchmark suite."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import multiprocessing
import time
import uuid
from datetime import timedelta
from typing import Any

import psycopg

SPAWN = multiprocessing.get_context("spawn")


def available() -> bool:
    return importlib.util.find_spec("pgqueuer") is not None


def _queries(conn: psycopg.AsyncConnection[Any]) -> Any:
    module = importlib.import_module("pgqueuer.queries")
    return module.Queries.from_psycopg_connection(conn)


async def _prepare(conninfo: str, jobs: int) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        queries = _queries(conn)
        await queries.install()
        await queries.enqueue(["bench"] * jobs, [b"{}"] * jobs, [0] * jobs)


async def _consume(conninfo: str, batch: int, start: Any) -> int:
    module = importlib.import_module("pgqueuer.queries")
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        queries = _queries(conn)
        entrypoints = {"bench": module.EntrypointExecutionParameter(concurrency_limit=0)}
        manager = uuid.uuid4()
        start.wait()
        done = 0
        while True:
            jobs = await queries.dequeue(
                batch,
                entrypoints,
                queue_manager_id=manager,
                global_concurrency_limit=None,
                # No heartbeats are sent here: a long timeout keeps jobs from being re-claimed.
                heartbeat_timeout=timedelta(hours=1),
            )
            if not jobs:
                return done
            await queries.log_jobs([(job, "successful", None) for job in jobs])
            done += len(jobs)


def _consumer(conninfo: str, batch: int, start: Any, results: Any) -> None:
    results.put(asyncio.run(_consume(conninfo, batch, start)))


def claim_and_complete(conninfo: str, jobs: int, batch: int, consumers: int) -> float:
    """Jobs per second of ``consumers`` PgQueuer consumer processes draining ``jobs`` jobs."""
    asyncio.run(_prepare(conninfo, jobs))
    start, results = SPAWN.Barrier(consumers + 1), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_consumer, args=(conninfo, batch, start, results))
        for _ in range(consumers)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.monotonic()
    done = sum(results.get(timeout=3600) for _ in workers)
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join()
    if done != jobs:
        raise RuntimeError(f"PgQueuer consumers finished {done} of {jobs} jobs")
    return float(done) / elapsed
