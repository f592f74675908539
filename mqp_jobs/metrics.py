"""The job queue as Prometheus metrics (the optional extra ``metrics``: prometheus_client).

Two sources, each registered with a prometheus_client registry:

- ``QueueCollector(store)`` reads ``store.queue_stats()`` at every scrape: jobs by kind,
  status and resource, the oldest pending job's age, the jobs the hold rule keeps back, and
  whether the database answered. One ``queue_stats`` query per scrape.
- ``JobMetrics``: claims and completions made by this process, counted and timed, for the
  stores given to ``instrument``. Each process exports its own; Prometheus adds them up.
  ``serve`` exposes the process's JobMetrics beside the queue: at zero in a process that
  claims nothing, such as ``mqp-jobs metrics``.

A portal service that claims or completes jobs::

    import mqp_jobs
    import prometheus_client
    from mqp_jobs import metrics

    store = metrics.instrument(mqp_jobs.configure())  # the module-level functions, metered
    queue = mqp_jobs.JobStore(settings=metrics.scrape_settings()).open()  # for the scrapes
    prometheus_client.REGISTRY.register(metrics.QueueCollector(queue))
    prometheus_client.start_http_server(9464)

``mqp-jobs metrics --port N`` serves the queue's metrics from a process of its own, over a
store opened with ``scrape_settings()``: a database that is down or holds a lock the query
waits for gives ``mqp_jobs_up 0`` within a few seconds, well inside a scrape's timeout.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, cast
from wsgiref.simple_server import WSGIServer

import psycopg
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mqp_jobs import operations
from mqp_jobs.connection import PoolSettings, translate, unavailable
from mqp_jobs.errors import MqpJobsError
from mqp_jobs.models import JobStatus, QueueStats
from mqp_jobs.store import JobStore

_log = logging.getLogger(__name__)

KINDS = ("circuit", "hamiltonian")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; a pooled call takes about a millisecond at best, a large claim round a second."""

SCRAPE_TIMEOUT = 3.0
"""Seconds an exporter waits for the database in a scrape: to connect, for a lock, for the
query. Well under Prometheus' default scrape_timeout (10 s), so that a database that is down
or locked is reported as ``mqp_jobs_up 0`` rather than as a failed scrape."""

CLAIMS: dict[str, str] = {
    "claim_jobs": "circuit",
    "fetch_all_pending_hamiltonian_jobs": "hamiltonian",
}
"""The JobStore methods that claim jobs, and the kind of job each claims."""


@dataclass(frozen=True)
class _Completion:
    kind: str
    outcome: str
    batch: bool


COMPLETIONS: dict[str, _Completion] = {
    "complete_job_with_result": _Completion("circuit", "completed", batch=False),
    "complete_jobs_with_results": _Completion("circuit", "completed", batch=True),
    "complete_hamiltonian_job_with_result": _Completion("hamiltonian", "completed", batch=False),
    "complete_hamiltonian_jobs_with_results": _Completion("hamiltonian", "completed", batch=True),
    "fail_job": _Completion("circuit", "failed", batch=False),
    "fail_hamiltonian_job": _Completion("hamiltonian", "failed", batch=False),
}
"""The JobStore methods that finish a claimed job, with what they report."""


def _shut(conn: psycopg.Connection[Any]) -> None:
    """Shut a connection's socket from another thread: its pending read returns at once."""
    with (
        contextlib.suppress(OSError, psycopg.Error),
        socket.socket(fileno=os.dup(conn.fileno())) as sock,
    ):
        sock.shutdown(socket.SHUT_RDWR)


class _NoAnswer(MqpJobsError):
    """A scrape's queue_stats that did not come back in time."""


class QueueCollector(Collector):
    """The queue as ``store.queue_stats()`` sees it, read at each scrape.

    ``mqp_jobs_up`` is 0 when the database did not answer (or refused); the other families
    are then left out of that scrape rather than failing it.
    """

    def __init__(self, store: JobStore, timeout: float | None = SCRAPE_TIMEOUT) -> None:
        """``timeout``: seconds a scrape waits for ``queue_stats`` before it answers
        ``mqp_jobs_up 0`` (None: as long as the store's own timeouts let it). The store's
        timeouts are enforced by the server, which cannot enforce them when it has stopped
        answering (a host cut off the network): then only this bound holds."""
        self._store = store
        self._timeout = timeout
        # At most two queries outstanding: scrapes of a database that does not answer leave
        # their queries waiting (on threads that end when the connection does) and answer 0.
        self._slots = threading.BoundedSemaphore(2)

    def _queue_stats(self) -> QueueStats:
        """``store.queue_stats()``, given up on after ``timeout`` seconds."""
        if self._timeout is None:
            return self._store.queue_stats()
        if not self._slots.acquire(blocking=False):
            raise _NoAnswer("earlier scrapes' queries are still waiting for the database")
        outcome: list[QueueStats | MqpJobsError] = []
        using: list[psycopg.Connection[Any]] = []
        conninfo = self._store.conninfo
        bound = f"{max(1, round(self._timeout * 1000))}ms"

        def read() -> None:
            # A connection of this scrape's own, not one of the store's pool: a pooled
            # connection that died silently (a dropped NAT or firewall state) blocks whoever
            # uses it next, the pool's liveness check included, until TCP gives up (hours).
            # The server's own timeouts end the query; the scrape's deadline ends the wait.
            try:
                conn = psycopg.connect(
                    conninfo,
                    autocommit=True,
                    connect_timeout=max(1, math.ceil(self._timeout or 0)),
                    options=f"-c statement_timeout={bound} -c lock_timeout={bound}",
                    application_name="mqp_jobs metrics",
                )
            except psycopg.Error as exc:
                outcome.append(unavailable(conninfo, exc))
                self._slots.release()
                return
            try:
                using.append(conn)
                outcome.append(operations.queue_stats(conn))
            except psycopg.Error as exc:
                outcome.append(translate(exc, conninfo, conn.broken))
            except MqpJobsError as exc:
                outcome.append(exc)
            finally:
                conn.close()
                self._slots.release()

        worker = threading.Thread(target=read, name="mqp_jobs queue_stats", daemon=True)
        worker.start()
        worker.join(self._timeout)
        if not outcome:
            if using:
                # Shut the socket, so that the thread's read ends now and the connection
                # with it, whatever the network does.
                _shut(using[0])
            raise _NoAnswer(f"the database did not answer within {self._timeout:g} s")
        found = outcome[0]
        if isinstance(found, MqpJobsError):
            raise found
        return found

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to check at registration: collecting queries the database

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        up = GaugeMetricFamily(
            "mqp_jobs_up", "1 if the job database answered this scrape's queue_stats, else 0"
        )
        try:
            stats = self._queue_stats()
        except MqpJobsError as exc:
            _log.warning("queue_stats failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        jobs = GaugeMetricFamily(
            "mqp_jobs_jobs",
            "Jobs by kind, status and resource (resource '' : the target names none); "
            "groups with no job are left out",
            labels=["kind", "status", "resource"],
        )
        for count in stats.counts:
            jobs.add_metric([count.job_kind, count.status, count.resource or ""], count.jobs)
        yield jobs

        by_status = GaugeMetricFamily(
            "mqp_jobs_jobs_by_status",
            "Jobs by kind and status, every status present (0 when none)",
            labels=["kind", "status"],
        )
        for kind in KINDS:
            for status in JobStatus:
                by_status.add_metric([kind, status.value], stats.total(status.value, kind))
        yield by_status

        # Job times are naive local times in the portal's zone: an exporter whose zone (or
        # $MQP_TIMEZONE) is not the portal's would see a job from the future. Never below 0.
        age = stats.oldest_pending_age
        yield GaugeMetricFamily(
            "mqp_jobs_oldest_pending_job_age_seconds",
            "Age of the oldest PENDING job, of either kind; 0 when none is pending",
            value=max(0.0, age.total_seconds()) if age is not None else 0.0,
        )
        yield GaugeMetricFamily(
            "mqp_jobs_held_jobs",
            "PENDING queued circuit jobs the hold rule keeps back (resource in maintenance)",
            value=stats.held_jobs,
        )
        yield GaugeMetricFamily(
            "mqp_jobs_queue_stats_duration_seconds",
            "How long this scrape's queue_stats took",
            value=time.perf_counter() - started,
        )


class Recorder(Protocol):
    """What ``instrument`` reports each claim and completion to: a JobMetrics, or anything
    with these methods (a process that sends them to the one serving its metrics)."""

    def claim(self, kind: str, seconds: float, jobs: int) -> None: ...

    def completion(self, kind: str, outcome: str, seconds: float, jobs: int) -> None: ...

    def error(self, operation: str) -> None: ...


class JobMetrics:
    """Counters and latency histograms of the claims and completions of this process."""

    def __init__(self, registry: CollectorRegistry | None = REGISTRY) -> None:
        self.claims = Counter(
            "mqp_jobs_claims",
            "Claim calls made by this process",
            ["kind"],
            registry=registry,
        )
        self.claimed_jobs = Counter(
            "mqp_jobs_claimed_jobs",
            "Jobs this process's claims moved to WAITING",
            ["kind"],
            registry=registry,
        )
        self.claim_seconds = Histogram(
            "mqp_jobs_claim_duration_seconds",
            "Duration of a claim call, seconds",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.completed_jobs = Counter(
            "mqp_jobs_completed_jobs",
            "Jobs this process finished, by outcome (completed, failed)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.completion_seconds = Histogram(
            "mqp_jobs_completion_duration_seconds",
            "Duration of a completion call (one job, or one batch), seconds",
            ["kind", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "mqp_jobs_call_errors",
            "Claim and completion calls that raised, by operation",
            ["operation"],
            registry=registry,
        )
        for kind in KINDS:  # present from the start, so that rates begin at 0
            self.claims.labels(kind)
            self.claimed_jobs.labels(kind)
            self.claim_seconds.labels(kind)
            for outcome in ("completed", "failed"):
                self.completed_jobs.labels(kind, outcome)
                self.completion_seconds.labels(kind, outcome)
        for operation in ("claim", "completion"):
            self.errors.labels(operation)

    def collectors(self) -> list[Collector]:
        """The counters and histograms, to register in another registry as well."""
        return [
            self.claims,
            self.claimed_jobs,
            self.claim_seconds,
            self.completed_jobs,
            self.completion_seconds,
            self.errors,
        ]

    def claim(self, kind: str, seconds: float, jobs: int) -> None:
        """One claim call of ``kind`` that took ``seconds`` and returned ``jobs`` jobs."""
        self.claims.labels(kind).inc()
        self.claimed_jobs.labels(kind).inc(jobs)
        self.claim_seconds.labels(kind).observe(seconds)

    def completion(self, kind: str, outcome: str, seconds: float, jobs: int) -> None:
        """One completion call that finished ``jobs`` jobs with ``outcome`` in ``seconds``."""
        self.completed_jobs.labels(kind, outcome).inc(jobs)
        self.completion_seconds.labels(kind, outcome).observe(seconds)

    def error(self, operation: str) -> None:
        """One ``claim`` or ``completion`` call that raised."""
        self.errors.labels(operation).inc()


_default_lock = threading.Lock()
_default: JobMetrics | None = None


def default_metrics() -> JobMetrics:
    """The JobMetrics of prometheus_client's default registry, made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = JobMetrics()
        return _default


def _metered_claim(
    method: Callable[..., list[object]], kind: str, metrics: Recorder
) -> Callable[..., list[object]]:
    @functools.wraps(method)
    def claim(*args: object, **kwargs: object) -> list[object]:
        started = time.perf_counter()
        try:
            jobs = method(*args, **kwargs)
        except BaseException:
            metrics.error("claim")
            raise
        metrics.claim(kind, time.perf_counter() - started, len(jobs))
        return jobs

    return claim


def _metered_completion(
    method: Callable[..., None], what: _Completion, metrics: Recorder
) -> Callable[..., None]:
    @functools.wraps(method)
    def complete(*args: object, **kwargs: object) -> None:
        jobs = 1
        if what.batch:  # count the entries; a one-shot iterable is read once, here
            if "completions" in kwargs:
                entries = list(cast(Iterable[object], kwargs["completions"]))
                kwargs["completions"] = entries
            else:
                entries = list(cast(Iterable[object], args[0]))
                args = (entries, *args[1:])
            jobs = len(entries)
        started = time.perf_counter()
        try:
            method(*args, **kwargs)
        except BaseException:
            metrics.error("completion")
            raise
        metrics.completion(what.kind, what.outcome, time.perf_counter() - started, jobs)

    return complete


def instrument(store: JobStore, metrics: Recorder | None = None) -> JobStore:
    """Count and time ``store``'s claims and completions in ``metrics`` (default: those of
    prometheus_client's default registry); returns ``store``, instrumented once however often
    it is given. The store's methods keep their signatures, results and errors."""
    if metrics is None:
        metrics = default_metrics()
    if getattr(store, "_mqp_jobs_metrics", None) is not None:
        return store
    for name, kind in CLAIMS.items():
        setattr(store, name, _metered_claim(getattr(store, name), kind, metrics))
    for name, what in COMPLETIONS.items():
        setattr(store, name, _metered_completion(getattr(store, name), what, metrics))
    store._mqp_jobs_metrics = metrics  # type: ignore[attr-defined]
    return store


def scrape_settings(timeout: float = SCRAPE_TIMEOUT) -> PoolSettings:
    """Pool settings for an exporter's own store: one or two connections, and at most
    ``timeout`` seconds to connect, to wait for a lock and to run the query, so that a scrape
    of a database that is down or locked answers ``mqp_jobs_up 0`` within about that long."""
    return PoolSettings(
        min_size=1,
        max_size=2,
        connect_timeout=timeout,
        statement_timeout=timeout,
        lock_timeout=timeout,
        application_name="mqp_jobs metrics",
    )


def serve(
    store: JobStore,
    port: int,
    address: str = "0.0.0.0",
    job_metrics: JobMetrics | None = None,
    timeout: float | None = SCRAPE_TIMEOUT,
) -> tuple[WSGIServer, CollectorRegistry]:
    """Serve ``store``'s queue and ``job_metrics`` (default: this process's, those of
    ``default_metrics()``) at http://address:port/metrics from a background thread, in a
    registry of its own; ``server.shutdown()`` stops it.

    Open ``store`` with ``scrape_settings()``. A scrape waits at most ``timeout`` seconds for
    its query (None: as long as the store's timeouts let it), then answers ``mqp_jobs_up 0``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(store, timeout))
    for collector in (default_metrics() if job_metrics is None else job_metrics).collectors():
        registry.register(collector)
    server, _thread = start_http_server(port, address, registry)
    return server, registry
