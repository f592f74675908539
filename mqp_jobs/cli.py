"""The ``mqp-jobs`` command line: migrate, stats, history, grant, metrics, demo, bench."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from mqp_jobs.errors import MqpJobsError
from mqp_jobs.migrations import grant_app_role, inspect, migrate


class _Scenarios:
    """The benchmark's scenario names, read from the benchmark code only when ``bench`` checks
    an ``--only`` or prints its help: the command line itself loads no tool."""

    @staticmethod
    def _names() -> tuple[str, ...]:
        from mqp_jobs.tools.bench_scenarios import SCENARIOS

        return SCENARIOS

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """One line and exit status 2, as argparse does, but naming the way to --help."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mqp-jobs",
        description="The job database of the Munich Quantum Portal.",
        epilog="The database is --database-url, else $MQP_DATABASE_URL, else the portal's "
        "$QUANTUM_DB_USER, $QUANTUM_DB_PASS and $QUANTUM_DB_HOST (database quantumdb) where any "
        "of them is set, else libpq's defaults ($PGHOST, $PGPORT, $PGUSER, $PGDATABASE, ...).",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a libpq URI or conninfo string, e.g. postgresql://user@host:5432/portal",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    migrate_cmd = commands.add_parser(
        "migrate",
        help="create the schema, or adopt the portal's tables in place, and upgrade it",
        description="On an empty database: create the portal's tables and the package's "
        "objects. On the portal's database: add only the package's objects, keeping every "
        "table, column and row of the portal as it is. Idempotent; safe from two processes.",
    )
    migrate_cmd.add_argument(
        "--check",
        action="store_true",
        help="say what migrate would do and what it finds (rows that break a rule of the "
        "package), changing nothing",
    )
    commands.add_parser(
        "stats", help="jobs by status and resource, oldest pending job, jobs held by maintenance"
    )
    history = commands.add_parser(
        "history",
        help="what happened to a job: its status changes, times, notes and claim attempts",
    )
    history.add_argument("job_id", help="the job's id")
    history.add_argument(
        "--hamiltonian", action="store_true", help="a Hamiltonian job (default: a circuit job)"
    )
    grant = commands.add_parser(
        "grant",
        help="give an existing role read/write access to the job tables (no DDL, no DELETE)",
    )
    grant.add_argument("role", help="the role the portal's services connect as")
    metrics = commands.add_parser(
        "metrics",
        help="serve the queue in the Prometheus text format at http://ADDRESS:PORT/metrics",
        description="Serve queue_stats (jobs by kind, status and resource, the oldest pending "
        "job's age, held jobs) for a monitoring system to scrape, until Ctrl-C or SIGTERM, with "
        "the claim and completion counters and latency histograms of this process (at zero: "
        "it claims nothing). Each scrape runs one queue_stats query; a database that is down "
        "or locked is mqp_jobs_up 0 within --timeout. Needs the metrics extra "
        "(prometheus_client).",
    )
    metrics.add_argument("--port", type=_port, default=9464, help="port to listen on (9464)")
    metrics.add_argument(
        "--address",
        default="0.0.0.0",
        help="address to listen on (0.0.0.0: every interface; 127.0.0.1: this host only)",
    )
    metrics.add_argument(
        "--timeout",
        type=_seconds,
        default=3.0,
        metavar="SECONDS",
        help="how long a scrape waits for the database, to connect, for a lock and for the "
        "query, before answering mqp_jobs_up 0 (3; keep it below the scrape timeout)",
    )
    demo = commands.add_parser(
        "demo",
        help="run a simulated portal in a throwaway database and print a summary",
        description="Users submit circuit and Hamiltonian jobs while several schedulers claim "
        "them and runners complete, fail or cancel them; one resource is in maintenance for the "
        "first part of the run, one is reserved for a group of users. Everything happens in a "
        "database created for the run on the server the URL points at, dropped afterwards.",
    )
    demo.add_argument("--jobs", type=_positive, default=2000, help="jobs to submit (2000)")
    demo.add_argument("--schedulers", type=_positive, default=3, help="scheduler processes (3)")
    demo.add_argument(
        "--metrics-port",
        type=_port,
        metavar="N",
        help="also serve the demo's queue at http://127.0.0.1:N/metrics while it runs",
    )
    demo.add_argument(
        "--plot", type=Path, metavar="FILE.png", help="also plot jobs over time (matplotlib)"
    )
    bench = commands.add_parser(
        "bench",
        help="run the benchmark suite in throwaway databases on the server",
        description="Measure mqp_jobs against plain SQL on copies of the same data, in "
        "databases created for the run and dropped after it. The URL names the server "
        "(any database on it that the user may connect to and create databases from).",
    )
    bench.add_argument("--quick", action="store_true", help="a tenth of the data, for a smoke run")
    bench.add_argument(
        "--only",
        action="append",
        choices=_Scenarios(),
        metavar="SCENARIO",
        help="run only this scenario (repeatable): %(choices)s",
    )
    bench.add_argument("--report", type=Path, metavar="FILE.md", help="also write the figures here")
    bench.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="also plot jobs/s by schedulers, and the ratios in FILE-ratios.png (matplotlib)",
    )
    return parser


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < number <= 3600:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 3600, not {text}")
    return number


def _port(text: str) -> int:
    number = _positive(text)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {number}")
    return number


def _serve_metrics(url: str | None, port: int, address: str, timeout: float) -> None:
    try:
        from mqp_jobs import metrics
    except ImportError:
        raise MqpJobsError(
            "serving metrics needs prometheus_client: pip install 'mqp-jobs[metrics]'"
        ) from None
    from mqp_jobs.store import JobStore

    with JobStore(url, settings=metrics.scrape_settings(timeout)) as store:
        store.queue_stats()  # a wrong URL or a missing schema: say so now, not at each scrape
        try:
            server, _ = metrics.serve(store, port, address, timeout=timeout)
        except OSError as exc:
            raise MqpJobsError(f"cannot listen on {address}:{port}: {exc.strerror}") from None
        shown = "127.0.0.1" if address in ("0.0.0.0", "::") else address
        print(f"serving the queue at http://{shown}:{port}/metrics (Ctrl-C to stop)", flush=True)
        try:
            signal.pause()
        finally:
            server.shutdown()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds, so throwaway databases are dropped


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # The pool retries in the background and logs each failed attempt; the command reports
    # the outcome itself, in one line.
    logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL)
    try:
        if args.command == "migrate":
            from mqp_jobs import report

            if not args.check:
                applied = migrate(args.database_url)
                print(f"applied migrations {applied}" if applied else "schema is up to date")
            print(report.schema_report(inspect(args.database_url), check=args.check))
        elif args.command == "stats":
            from mqp_jobs import report
            from mqp_jobs.store import JobStore

            with JobStore(args.database_url) as store:
                print(report.queue_stats(store.queue_stats()))
        elif args.command == "history":
            from mqp_jobs import report
            from mqp_jobs.store import JobStore

            kind = "hamiltonian" if args.hamiltonian else "circuit"
            with JobStore(args.database_url) as store:
                events = store.job_history(args.job_id, kind)
            if not events:
                print(f"no {kind} job {args.job_id} in the event log", file=sys.stderr)
                return 1
            print(report.job_history(events))
        elif args.command == "grant":
            grant_app_role(args.role, args.database_url)
            print(f"granted job-table access to {args.role}")
        elif args.command == "metrics":
            _serve_metrics(args.database_url, args.port, args.address, args.timeout)
        elif args.command == "demo":
            from mqp_jobs.tools import demo

            summary = demo.run_anywhere(
                args.database_url,
                demo.DemoConfig(jobs=args.jobs, schedulers=args.schedulers),
                metrics_port=args.metrics_port,
                plot=args.plot,
            )
            return 0 if summary.ok else 1
        elif args.command == "bench":
            from mqp_jobs.tools import bench
            from mqp_jobs.tools.bench_scenarios import SCENARIOS

            only = args.only or SCENARIOS
            figures = bench.run(args.database_url, quick=args.quick, only=only)
            if args.report:
                command = " ".join(
                    [
                        "mqp-jobs bench",
                        *(["--quick"] if args.quick else []),
                        *(f"--only {name}" for name in args.only or ()),
                        f"--report {args.report}",
                        *([f"--plot {args.plot}"] if args.plot else []),
                    ]
                )
                bench.write_markdown(
                    figures, args.report, bench.machine(args.database_url), command
                )
                print(f"wrote {args.report}")
            if args.plot:
                wrote = bench.write_plot(figures, args.plot)
                print(f"wrote {args.plot}" if wrote else "no plot: matplotlib is not installed")
                ratios = bench.ratio_plot_path(args.plot)
                if wrote and bench.write_ratio_plot(figures, ratios):
                    print(f"wrote {ratios}")
    except MqpJobsError as exc:
        print(f"mqp-jobs: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mqp-jobs: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
