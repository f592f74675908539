"""Plain-text tables and durations for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from mqp_jobs.migrations import PORTAL_TABLES, SchemaReport
from mqp_jobs.models import JobEvent, QueueStats


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[str(c) for c in header], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [
        all(isinstance(r[i], (int, float)) for r in rows) and rows for i in range(len(header))
    ]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if numeric[i] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def duration(age: timedelta | None) -> str:
    if age is None:
        return "-"
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{age.total_seconds():.1f} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def queue_stats(stats: QueueStats) -> str:
    rows = [(c.job_kind, c.status, c.resource or "(none)", c.jobs) for c in stats.counts]
    lines = [
        table(("kind", "status", "resource", "jobs"), rows) if rows else "no jobs",
        "",
        f"oldest pending job: {duration(stats.oldest_pending_age)}",
        f"held by maintenance: {stats.held_jobs}",
    ]
    return "\n".join(lines)


def schema_report(found: SchemaReport, *, check: bool) -> str:
    """What migrate found on a database (and, with ``check``, what it would do)."""
    lines = []
    if check:
        todo = ", ".join(f"{m.version:04d}_{m.name}" for m in found.pending) or "nothing"
        lines.append(f"migrate would apply: {todo}")
    tables = found.portal_tables
    if tables:
        lines += [
            f"portal tables found: {len(tables)} of {len(PORTAL_TABLES)}",
            table(
                ["table", "rows (estimate)"],
                [
                    (t.name, "not analyzed" if t.estimated_rows is None else t.estimated_rows)
                    for t in tables
                ],
            ),
        ]
    else:
        lines.append("portal tables found: none (migrate creates them)")
    if found.columns_missing:
        lines.append(
            "columns the job package needs that the portal's tables lack (migrate refuses "
            "until they exist): " + "; ".join(str(column) for column in found.columns_missing)
        )
    if found.findings:
        lines += [
            "rows that break a rule of the package (kept as they are; the rule binds new rows):",
            table(
                ["table", "rule", "rows"], [(f.job_table, f.rule, f.rows) for f in found.findings]
            ),
        ]
    else:
        lines.append("rows that break a rule of the package: none")
    return "\n".join(lines)


def job_history(events: Sequence[JobEvent]) -> str:
    """A job's status changes, oldest first, one line each."""
    return table(
        ["time", "from", "to", "claim", "note"],
        [
            (
                event.at.isoformat(sep=" ", timespec="seconds"),
                event.from_status or "-",
                event.to_status,
                event.attempt,
                event.note,
            )
            for event in events
        ],
    )
