"""The ``mqp-jobs`` command line: migrate, stats, demo, bench."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from mqp_jobs.errors import MqpJobsError
from mqp_jobs.migrations import grant_app_role, migrate


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """One line and exit status 2, as argparse does, but naming the way to --help."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mqp-jobs",
        description="The job database of the Munich Quantum Portal.",
        epilog="The database is --database-url, else $MQP_DATABASE_URL, else libpq's defaults "
        "($PGHOST, $PGPORT, $PGUSER, $PGDATABASE, ...).",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a libpq URI or conninfo string, e.g. postgresql://user@host:5432/portal",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="create or upgrade the schema (idempotent)")
    grant = commands.add_parser(
        "grant",
        help="give an existing role read/write access to the job tables (no DDL, no DELETE)",
    )
    grant.add_argument("role", help="the role the portal's services connect as")
    bench = commands.add_parser(
        "bench",
        help="run the benchmark suite in throwaway databases on the server",
        description="Measure mqp_jobs against plain SQL on copies of the same data, in "
        "databases created for the run and dropped after it. The URL names the server "
        "(any database on it that the user may connect to and create databases from).",
    )
    bench.add_argument("--quick", action="store_true", help="a tenth of the data, for a smoke run")
    return parser


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds, so throwaway databases are dropped


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if args.command == "migrate":
            applied = migrate(args.database_url)
            print(f"applied migrations {applied}" if applied else "schema is up to date")
        elif args.command == "grant":
            grant_app_role(args.role, args.database_url)
            print(f"granted job-table access to {args.role}")
        elif args.command == "bench":
            from mqp_jobs import bench

            bench.run(args.database_url, quick=args.quick)
    except MqpJobsError as exc:
        print(f"mqp-jobs: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mqp-jobs: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
