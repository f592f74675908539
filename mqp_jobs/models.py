"""Rows as callers see them: frozen dataclasses, shaped like the portal's ORM entities.

A job's related rows (owner, budget, target specification, executed resource) are their keys,
as strings that also answer the attribute the old entities had: ``job.owner == "alice"`` and
``job.owner.identity == "alice"``; ``job.target_specification.resource_name`` too.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, ClassVar, NotRequired, TypedDict, TypeVar

from psycopg import Cursor
from psycopg.rows import RowMaker


class JobStatus(enum.StrEnum):
    """A job's status; members compare equal to the plain strings."""

    PENDING = "PENDING"
    WAITING = "WAITING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class UserRef(str):
    """A job's owner: the user's identity, also as ``.identity``."""

    @property
    def identity(self) -> str:
        return str(self)


class BudgetRef(str):
    """The budget a job charges: its name, also as ``.name``."""

    @property
    def name(self) -> str:
        return str(self)


class ResourceRef(str):
    """The resource a job ran on: its name, also as ``.name``."""

    @property
    def name(self) -> str:
        return str(self)


class TargetRef(str):
    """A job's target specification: its name (also ``.name``) and ``.resource_name``
    (``''`` for a target by technology only)."""

    resource_name: str

    def __new__(cls, name: str, resource_name: str = "") -> TargetRef:
        ref = super().__new__(cls, name)
        ref.resource_name = resource_name
        return ref

    @property
    def name(self) -> str:
        return str(self)


Job = TypeVar("Job", "CircuitJob", "HamiltonianJob")


def _job_from_row(model: type[Job], row: Mapping[str, Any]) -> Job:
    """A job from its table's columns plus ``target_resource_name``; other columns a portal
    table may have are left out."""
    values = {f.name: row[f.name] for f in fields(model)}
    values["status"] = JobStatus(values["status"])
    values["owner"] = UserRef(values["owner"])
    values["budget"] = BudgetRef(values["budget"])
    values["target_specification"] = TargetRef(
        values["target_specification"], row.get("target_resource_name") or ""
    )
    if values["executed_resource"] is not None:
        values["executed_resource"] = ResourceRef(values["executed_resource"])
    return model(**values)


def _job_row_factory(model: type[Job]) -> Callable[[Cursor[Any]], RowMaker[Job]]:
    def factory(cursor: Cursor[Any]) -> RowMaker[Job]:
        """psycopg's row factory: the cursor's rows as jobs (``cursor(row_factory=...)``)."""
        names = [column.name for column in cursor.description or ()]

        def make(values: Sequence[Any]) -> Job:
            return _job_from_row(model, dict(zip(names, values, strict=True)))

        return make

    return factory


_PACKAGE_ONLY = frozenset({"attempt"})
"""Columns the package adds for its own bookkeeping, not part of the old entities' shape."""


class _Serialised:
    """``to_dict()``: the old entities' flat shape, one key per column of the portal's table."""

    def to_dict(self) -> dict[str, object]:
        """Every column by name; related rows as their key (``None`` when unset), absent
        text ``''``, times as naive datetimes: what the dashboard hands to its JSON encoder."""
        flat: dict[str, object] = {}
        for f in fields(self):  # type: ignore[arg-type]
            if f.name in _PACKAGE_ONLY:
                continue
            found = getattr(self, f.name)
            flat[f.name] = str(found) if isinstance(found, str) else found
        return flat


@dataclass(frozen=True)
class CircuitJob(_Serialised):
    """A circuit job as stored; ``to_dict()`` gives the old entity's flat shape."""

    id: int
    note: str
    status: JobStatus
    shots: int
    circuit: str
    circuit_format: str
    no_modify: bool
    timestamp_submitted: datetime
    timestamp_scheduled: datetime | None
    timestamp_completed: datetime | None
    timestamp_cancelled: datetime | None
    cost: int | None
    result: str
    owner: UserRef
    budget: BudgetRef
    executed_resource: ResourceRef | None
    target_specification: TargetRef
    executed_circuit: str
    queued: bool
    token_usage: int | None
    """The token module's usage row that paid for the job (the old entity's reverse link)."""
    attempt: int
    """How often the job was claimed: pass it back to complete or fail it as this claim."""

    row_factory: ClassVar[Callable[[Cursor[Any]], RowMaker[CircuitJob]]]


@dataclass(frozen=True)
class HamiltonianJob(_Serialised):
    """A Hamiltonian (hybrid) job as stored; ``to_dict()`` gives the old entity's flat shape."""

    id: int
    note: str
    status: JobStatus
    interaction_str: str
    coefficients_str: str
    no_modify: bool
    timestamp_submitted: datetime
    timestamp_scheduled: datetime | None
    timestamp_completed: datetime | None
    timestamp_cancelled: datetime | None
    cost: int | None
    result: str
    owner: UserRef
    budget: BudgetRef
    executed_resource: ResourceRef | None
    target_specification: TargetRef
    executed_circuit: str
    epochs: int
    params: str
    parametric_circuit: str
    attempt: int
    """How often the job was claimed: pass it back to complete or fail it as this claim."""

    row_factory: ClassVar[Callable[[Cursor[Any]], RowMaker[HamiltonianJob]]]


CircuitJob.row_factory = _job_row_factory(CircuitJob)
HamiltonianJob.row_factory = _job_row_factory(HamiltonianJob)


@dataclass(frozen=True)
class JobEvent:
    """One status change of a job, as the event log recorded it."""

    id: int
    job_kind: str
    job_id: int
    from_status: JobStatus | None
    """None for the job's submission."""
    to_status: JobStatus
    at: datetime
    note: str
    attempt: int

    row_factory: ClassVar[Callable[[Cursor[Any]], RowMaker[JobEvent]]]


def _event_row_factory(cursor: Cursor[Any]) -> RowMaker[JobEvent]:
    """psycopg's row factory: the cursor's rows as events (``cursor(row_factory=...)``)."""
    names = [column.name for column in cursor.description or ()]

    def make(values: Sequence[Any]) -> JobEvent:
        row = dict(zip(names, values, strict=True))
        before = row["from_status"]
        row["from_status"] = None if before is None else JobStatus(before)
        row["to_status"] = JobStatus(row["to_status"])
        return JobEvent(**row)

    return make


JobEvent.row_factory = _event_row_factory


@dataclass(frozen=True)
class JobReferences:
    """What a job's owner, budget and target resolve to, for a precise error."""

    owner_known: bool
    budget_known: bool
    budget_allowed: bool
    target_known: bool


@dataclass(frozen=True)
class StatusCount:
    """How many jobs of one kind are in one status on one resource."""

    job_kind: str
    """"circuit" or "hamiltonian"."""
    status: JobStatus
    resource: str | None
    """The resource of the jobs' target; None for a target that names none."""
    jobs: int


def status_counts(rows: Iterable[Mapping[str, Any]]) -> list[StatusCount]:
    """The counts of the queue_stats statement's ``counts`` (JSON objects), typed."""
    return [
        StatusCount(
            job_kind=row["job_kind"],
            status=JobStatus(row["status"]),
            resource=row["resource"],
            jobs=int(row["jobs"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class QueueStats:
    """The queue's figures at one moment, as ``queue_stats`` returns them."""

    counts: list[StatusCount]
    """Jobs by kind, status and resource; groups with no job are left out."""
    oldest_pending_age: timedelta | None
    """How long the oldest PENDING job has waited; None when no job is pending. Never
    negative: a job stamped ahead of this host's clock (another zone) counts as just submitted."""
    held_jobs: int
    """PENDING queued circuit jobs that the hold rule keeps back right now."""

    def total(self, status: str, job_kind: str | None = None) -> int:
        """How many jobs are in ``status`` (a JobStatus or its string), over every resource;
        only of ``job_kind`` ("circuit" or "hamiltonian") if given."""
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


class DashboardPage(TypedDict):
    """One page of a user's circuit jobs, as ``fetch_by_identity_pages`` returns it."""

    jobs: list[CircuitJob]
    """The page's jobs, in the order asked for."""
    totaljob_nr: int
    """How many jobs match on every page together (the dashboard's page count)."""


class NewCircuitJob(TypedDict):
    """One entry of ``create_jobs``: ``create_job``'s arguments by name."""

    shots: int
    circuit: str
    owner: str
    budget: str
    target_spec: str
    circuit_format: str
    no_modify: NotRequired[bool]
    queued: NotRequired[bool]


class JobCompletion(TypedDict):
    """One entry of ``complete_jobs_with_results`` (and the Hamiltonian one):
    ``complete_job_with_result``'s arguments by name."""

    job_id: int
    executed_resource: str
    result: NotRequired[str | None]
    executed_circuit: NotRequired[str | None]
    note: NotRequired[str | None]
    attempt: NotRequired[int | None]
