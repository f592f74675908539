"""The ``mqp-jobs`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mqp_jobs.errors import MqpJobsError
from mqp_jobs.migrations import migrate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mqp-jobs",
        description="The job database of the Munich Quantum Portal.",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="libpq URI or conninfo; default $MQP_DATABASE_URL, else libpq's defaults",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="create or upgrade the schema (idempotent)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "migrate":
            applied = migrate(args.database_url)
            print(f"applied migrations {applied}" if applied else "schema is up to date")
    except MqpJobsError as exc:
        print(f"mqp-jobs: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
