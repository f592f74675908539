"""The names of the benchmark scenarios, importable without the benchmark code."""

from __future__ import annotations

SCENARIOS = (
    "claim-round",
    "claim-shapes",
    "throughput",
    "history",
    "create",
    "page",
    "pgqueuer",
    "soak",
    "adoption",
)
