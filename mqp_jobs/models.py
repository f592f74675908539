"""Rows as callers see them: frozen dataclasses filled by psycopg's ``class_row``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class JobStatus(enum.StrEnum):
    """A job's status; members compare equal to the plain strings."""

    PENDING = "PENDING"
    WAITING = "WAITING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class CircuitJob:
    id: int
    status: str
    shots: int
    circuit: str
    circuit_format: str
    owner: str
    budget: str
    target_specification: str
    no_modify: bool
    queued: bool
    note: str | None
    cost: float
    result: str | None
    executed_resource: str | None
    executed_circuit: str | None
    timestamp_submitted: datetime
    timestamp_scheduled: datetime | None
    timestamp_completed: datetime | None
    timestamp_cancelled: datetime | None


@dataclass(frozen=True)
class HamiltonianJob:
    id: int
    status: str
    interaction_str: str
    coefficients_str: str
    owner: str
    budget: str
    target_specification: str
    no_modify: bool
    note: str | None
    cost: float
    result: str | None
    executed_resource: str | None
    executed_circuit: str | None
    epochs: int | None
    params: str | None
    parametric_circuit: str | None
    timestamp_submitted: datetime
    timestamp_scheduled: datetime | None
    timestamp_completed: datetime | None
    timestamp_cancelled: datetime | None


@dataclass(frozen=True)
class JobEvent:
    id: int
    job_kind: str
    job_id: int
    from_status: str | None
    to_status: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class JobReferences:
    """What a job's owner, budget and target resolve to, for a precise error."""

    owner_known: bool
    budget_known: bool
    budget_allowed: bool
    target_known: bool


@dataclass(frozen=True)
class StatusCount:
    """How many jobs of one kind are in one status on one resource (None: no resource)."""

    job_kind: str
    status: str
    resource: str | None
    jobs: int


@dataclass(frozen=True)
class QueueStats:
    counts: list[StatusCount]
    oldest_pending_age: timedelta | None
    held_jobs: int
    """PENDING queued circuit jobs that the hold rule keeps back right now."""

    def total(self, status: str, job_kind: str | None = None) -> int:
        return sum(
            c.jobs
            for c in self.counts
            if c.status == status and (job_kind is None or c.job_kind == job_kind)
        )


@dataclass(frozen=True)
class RequeuedJobs:
    """Ids of the jobs requeue_stale_jobs moved from WAITING back to PENDING, by kind."""

    circuit: list[int]
    hamiltonian: list[int]
