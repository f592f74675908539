"""Keeping the queue healthy: requeueing jobs of dead runners, and the queue's figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mqp_jobs import validation as check
from mqp_jobs.clock import portal_zone
from mqp_jobs.errors import InternalError, InvalidArgument
from mqp_jobs.execute import Conn, column
from mqp_jobs.models import QueueStats, RequeuedJobs, status_counts
from mqp_jobs.queries import query
from mqp_jobs.rules import MAX_QUEUING_TIME
from mqp_jobs.states import REQUEUE

_REQUEUE_CIRCUIT = query("requeue_stale_circuit_jobs")
_REQUEUE_HAMILTONIAN = query("requeue_stale_hamiltonian_jobs")
_QUEUE_STATS = query("queue_stats")

STALE_HORIZON = timedelta(days=100 * 365)
"""The longest wait ``requeue_stale_jobs`` measures: no job of the portal has been WAITING for
a century, so a longer ``older_than`` (up to ``timedelta.max``) finds nothing stale either.
``older_than`` is clamped to it before it reaches the database, which cannot subtract much
more than 6,000 years from today (its timestamps start in 4713 BC): ``timedelta.max`` would
raise "timestamp out of range" instead of requeueing nothing."""


def requeue_stale_jobs(conn: Conn, older_than: timedelta) -> RequeuedJobs:
    """Move jobs WAITING for longer than ``older_than`` back to PENDING, in one transaction."""
    if not isinstance(older_than, timedelta) or older_than < timedelta(0):
        raise InvalidArgument(
            f"older_than must be a non-negative timedelta, not {check.shown(older_than)}"
        )
    waited = min(older_than, STALE_HORIZON)
    params = {
        "older_than": waited,
        "note": f"requeued: no runner report for {check.seconds_text(waited)}",
        "zone": portal_zone(),
        "to_status": str(REQUEUE.to_status),
    }
    return RequeuedJobs(
        circuit=sorted(column(conn, _REQUEUE_CIRCUIT, params)),
        hamiltonian=sorted(column(conn, _REQUEUE_HAMILTONIAN, params)),
    )


def queue_stats(conn: Conn) -> QueueStats:
    """Counts by kind, status and resource; the oldest PENDING job's age; held jobs."""
    with conn.cursor() as cur:
        cur.execute(_QUEUE_STATS, {"max_queuing_time": MAX_QUEUING_TIME, "zone": portal_zone()})
        found = cur.fetchone()
    if found is None:
        raise InternalError("queue_stats returned no row")
    counts_json, oldest, held = found
    counts: list[dict[str, Any]] = counts_json
    return QueueStats(
        counts=status_counts(counts),
        oldest_pending_age=oldest,
        held_jobs=int(held),
    )
