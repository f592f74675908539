"""The benchmark's plot: drawn from each figure's batch and consumers, not from its name."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mqp_jobs.tools import bench
from mqp_jobs.tools.bench import Figure, PlotLine, Report

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _measured() -> Report:
    """Figures as the throughput and pgqueuer scenarios add them, with their real names."""
    report = Report()
    for schedulers, rate in ((1, 1500.0), (2, 2100.0), (4, 1750.0)):
        report.figures.append(
            Figure(
                "throughput",
                f"claim (limit 100) + complete, {schedulers} scheduler(s), 2,000 users",
                "jobs/s",
                rate,
                batch=100,
                consumers=schedulers,
            )
        )
    for batch in (10, 100):
        for consumers in (1, 2, 4):
            report.figures.append(
                Figure(
                    "pgqueuer",
                    f"FIFO claim + batch complete 5,000 jobs, batch {batch}, "
                    f"{consumers} consumer(s)",
                    "jobs/s",
                    float(batch * consumers),
                    float(batch * consumers * 4),
                    "PgQueuer dequeue + log_jobs",
                    batch=batch,
                    consumers=consumers,
                )
            )
    report.figures.append(Figure("create", "create_job one by one", "jobs/s", 900.0, 1000.0, "x"))
    return report


EXPECTED = [
    PlotLine("mqp_jobs, batch 10", "o-", [1, 2, 4], [10.0, 20.0, 40.0]),
    PlotLine("PgQueuer, batch 10", "s--", [1, 2, 4], [40.0, 80.0, 160.0]),
    PlotLine("mqp_jobs, batch 100", "o-", [1, 2, 4], [100.0, 200.0, 400.0]),
    PlotLine("PgQueuer, batch 100", "s--", [1, 2, 4], [400.0, 800.0, 1600.0]),
    PlotLine(
        "mqp_jobs, batch 100, one completion per call, limit binding",
        "^:",
        [1, 2, 4],
        [1500.0, 2100.0, 1750.0],
    ),
]


def test_the_plot_reads_the_figures_fields_not_their_names() -> None:
    measured = _measured()
    assert bench.plot_lines(measured) == EXPECTED
    renamed = Report(
        [dataclasses.replace(f, name=f"figure {n}") for n, f in enumerate(measured.figures)]
    )
    assert bench.plot_lines(renamed) == EXPECTED
    unplotted = Report(
        [dataclasses.replace(f, batch=None, consumers=None) for f in measured.figures]
    )
    assert bench.plot_lines(unplotted) == []


def test_a_written_report_reads_back_with_the_same_plot(tmp_path: Path) -> None:
    measured = _measured()
    path = tmp_path / "benchmarks.md"
    bench.write_markdown(measured, path, "a test machine", "mqp-jobs bench")
    again = bench.read_markdown(path)
    assert again.figures == measured.figures
    assert bench.plot_lines(again) == EXPECTED
    # The fields are the plot's: the written report is what it was without them.
    bare = tmp_path / "bare.md"
    bench.write_markdown(
        Report([dataclasses.replace(f, batch=None, consumers=None) for f in measured.figures]),
        bare,
        "a test machine",
        "mqp-jobs bench",
    )
    assert bare.read_text() == path.read_text()


def test_the_published_report_still_plots_every_line() -> None:
    published = bench.read_markdown(DOCS / "benchmarks.md")
    lines = bench.plot_lines(published)
    assert [line.label for line in lines] == [line.label for line in EXPECTED]
    assert all(line.consumers == [1, 2, 4] and min(line.rates) > 0 for line in lines)


def test_the_plot_is_drawn(tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    assert bench.write_plot(_measured(), path)
    assert path.read_bytes().startswith(b"\x89PNG")
