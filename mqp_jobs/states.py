"""The job state machine, as one table: for each operation, the statuses it may start from and
the status it moves a job to.

The table feeds the guarded UPDATEs (``status = ANY(%(from_statuses)s)``), the
``InvalidTransition`` messages and, through a test, the README's table. The statements that read
a partial index (the claims, ``requeue_stale_*``) keep the status literal the index predicate
needs; a test proves each literal equals this table's value.
"""

from __future__ import annotations

from dataclasses import dataclass

from mqp_jobs.models import JobStatus


@dataclass(frozen=True)
class Transition:
    """One operation of the state machine."""

    name: str
    """The operation, as the README's table heads its column."""
    action: str
    """The operation in an error message: '{action} needs it WAITING'."""
    from_statuses: tuple[JobStatus, ...]
    """The statuses a job may be in for the operation to change it."""
    to_status: JobStatus | None
    """The status it moves the job to; None: the status is kept."""
    or_to: JobStatus | None = None
    """A second status the operation may move a job to instead (cancel's requeue)."""

    @property
    def needs(self) -> str:
        """The from-statuses in words: 'PENDING or WAITING'."""
        return " or ".join(self.from_statuses)

    @property
    def params(self) -> dict[str, object]:
        """The statement parameters that guard the operation's UPDATE."""
        return {
            "from_statuses": [str(status) for status in self.from_statuses],
            "to_status": None if self.to_status is None else str(self.to_status),
            "claimed_status": str(CLAIMED),
        }


CREATED = JobStatus.PENDING
"""The status of a new job."""

CLAIMED = JobStatus.WAITING
"""The status of a job a runner holds: a runner naming its claim acts only on a job in it."""

CLAIM = Transition("claim", "claiming", (CREATED,), CLAIMED)
COMPLETE = Transition("complete", "completing", (JobStatus.WAITING,), JobStatus.COMPLETED)
CANCEL = Transition(
    "cancel",
    "cancelling",
    (JobStatus.PENDING, JobStatus.WAITING),
    JobStatus.CANCELLED,
    or_to=JobStatus.PENDING,  # a queued circuit job whose resource is reported down
)
REQUEUE = Transition("requeue", "requeueing", (JobStatus.WAITING,), JobStatus.PENDING)
FAIL = Transition("fail", "failing", (JobStatus.WAITING,), JobStatus.FAILED)
UPDATE_HYBRID = Transition(
    "update_hybrid", "a hybrid update", (JobStatus.PENDING, JobStatus.WAITING), None
)

TRANSITIONS = (CLAIM, COMPLETE, CANCEL, REQUEUE, FAIL, UPDATE_HYBRID)
"""Every operation that changes a job after it was created (as PENDING)."""
