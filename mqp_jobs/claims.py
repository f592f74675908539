"""Claims: moving PENDING jobs to WAITING for a scheduler, exactly once, within the limits.

A circuit claim is two statements in one transaction. The first picks the jobs the filter, the
hold rule and the active-job limit admit, and locks their (owner, target) groups with
``FOR UPDATE SKIP LOCKED``. The second, whose snapshot is newer than those locks, counts each
group's WAITING jobs again and moves only what the limit still allows. Two claimers never hold
the same group, so neither can push a group past the limit, and a job is moved by at most one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import LiteralString

import psycopg
from psycopg.rows import class_row

from mqp_jobs import validation as check
from mqp_jobs.clock import portal_zone
from mqp_jobs.connection import is_connection_error, translate
from mqp_jobs.errors import CommitOutcomeUnknown, InvalidArgument
from mqp_jobs.execute import Conn, rows, transaction, value
from mqp_jobs.models import CircuitJob, HamiltonianJob
from mqp_jobs.queries import query
from mqp_jobs.rules import MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE, MAX_QUEUING_TIME
from mqp_jobs.submit import reference_key

_LOCK_CLAIM_GROUPS = query("lock_claim_groups")
_LOCK_CLAIM_LINE = query("lock_claim_line")
_LOCK_CLAIM_JOBS = query("lock_claim_jobs")
_MOVE_CLAIMED_JOBS = query("move_claimed_jobs")
_CLAIM_HAMILTONIAN_JOBS = query("claim_hamiltonian_jobs")
_LOCK_CLAIM_GROUP = query("lock_claim_group")
_GROUP_WITHIN_ACTIVE_JOB_LIMIT = query("group_within_active_job_limit")
_REGISTER_CLAIM_GROUPS = query("register_claim_groups")
_TRANSACTION_ISOLATION = query("transaction_isolation")
_SHADOWING_TEMP_TABLES = query("shadowing_temp_tables")


@dataclass(frozen=True)
class ClaimFilter:
    """Which PENDING circuit jobs a claim considers: every field that is set must hold.

    A field left None restricts nothing. The lists are checked and kept as tuples when the
    filter is made, so a bad filter is refused (InvalidArgument) before any claim runs.

    Attributes:
        users: only jobs of these owners (an empty list: no job at all).
        not_users: no job of these owners.
        resource: only jobs whose target is on this resource.
        not_resources: no job whose target is on one of these resources (jobs of a target on
            no resource stay in).
        reserved_resource: on this resource, only the jobs of ``reserved_for``; jobs elsewhere
            are not affected. Given together with ``reserved_for``.
        reserved_for: the owners whose jobs may go on ``reserved_resource``.
    """

    users: Sequence[str] | None = None
    not_users: Sequence[str] | None = None
    resource: str | None = None
    not_resources: Sequence[str] | None = None
    reserved_resource: str | None = None
    reserved_for: Sequence[str] | None = None

    def __post_init__(self) -> None:
        for name in ("users", "not_users", "not_resources", "reserved_for"):
            given = getattr(self, name)
            if given is not None:
                object.__setattr__(self, name, tuple(check.names(given, name)))
        for name in ("resource", "reserved_resource"):
            given = getattr(self, name)
            if given is not None:
                check.text(given, name)
        if (self.reserved_resource is None) != (self.reserved_for is None):
            raise InvalidArgument("reserved_resource and reserved_for go together: give both")


_UNFILTERED = ClaimFilter()
# One registration for each read a claim may make (the window, then by groups), and a spare.
_MOST_REGISTRATIONS = 3


def _listed(names: Sequence[str] | None) -> list[str] | None:
    """A tuple of the filter as the list psycopg sends as an array."""
    return None if names is None else list(names)


def _limit(limit: object) -> int | None:
    return None if limit is None else check.count(limit, "limit", minimum=0)


def claim_circuit_jobs(
    conn: Conn,
    where: ClaimFilter | None = None,
    limit: int | None = None,
    *,
    job_ids: list[int] | None = None,
    own_connection: bool = False,
) -> list[CircuitJob]:
    """Move eligible PENDING circuit jobs to WAITING; return them oldest first.

    Runs in the caller's transaction (a new one on an autocommit connection), which must be
    READ COMMITTED: the second statement needs a snapshot newer than the locks the first took.
    ``job_ids``: only these jobs (filter_queued_if_offline_and_fetch), with neither a filter nor
    a limit: the statement that reads them by id applies neither. ``own_connection``: the
    package's pooled connection, whose level is pinned, so not asked.
    """
    if where is not None and not isinstance(where, ClaimFilter):
        raise InvalidArgument(f"filter must be a ClaimFilter or None, not {type(where).__name__}")
    where = where or _UNFILTERED
    if job_ids is not None and (where != _UNFILTERED or limit is not None):
        raise InvalidArgument("a claim of given jobs takes neither a filter nor a limit")
    most = _limit(limit)
    if most == 0 or where.users == () or job_ids == []:
        return []
    with transaction(conn):
        if not own_connection:
            _require_read_committed(conn)
        params = {
            "owners": _listed(where.users),
            "excluded_owners": _listed(where.not_users),
            "resource": where.resource,
            "excluded_resources": _listed(where.not_resources),
            "reserved_resource": where.reserved_resource,
            "reserved_for": _listed(where.reserved_for),
            "job_ids": job_ids,
            "limit": most,
            "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
            "max_queuing_time": MAX_QUEUING_TIME,
            "zone": portal_zone(),
        }
        # A claim of given jobs reads them by id (lock_claim_jobs). An unfiltered claim reads
        # the line in FIFO order (lock_claim_line) unless a target is in maintenance; a
        # filtered one, or one that must step around held jobs, reads each admitted target's
        # line (lock_claim_groups). With a limit, the first statement looks at the oldest
        # candidates only. A window that turns out too narrow (full, yet fewer jobs picked than
        # the limit) was taken up by groups without a free slot: the claim then reads the first
        # few candidates of every group with pending jobs instead, however long any group's
        # backlog.
        window = None if most is None else max(4 * most, 64)
        if job_ids is not None:
            statement = _LOCK_CLAIM_JOBS
        else:
            statement = _LOCK_CLAIM_LINE if where == _UNFILTERED else _LOCK_CLAIM_GROUPS
        by_group = False
        registrations = 0
        while True:
            picked = _pick(conn, statement, {**params, "window": window, "by_group": by_group})
            if picked.streams_needed:
                statement = _LOCK_CLAIM_GROUPS
                continue
            if picked.ungrouped and registrations < _MOST_REGISTRATIONS:
                # Jobs whose group has no row yet: create the rows, then pick again. A few times
                # per claim at most: rows deleted again meanwhile, or group-less jobs inserted
                # faster than the claim goes round, do not keep it going; what it leaves, the
                # next claim registers.
                conn.execute(_REGISTER_CLAIM_GROUPS, {"job_ids": picked.ungrouped})
                registrations += 1
                continue
            if (
                window is None
                or by_group
                or not picked.window_full
                or len(picked.job_ids) >= (most or 0)
            ):
                break
            statement, by_group = _LOCK_CLAIM_GROUPS, True
        if not picked.job_ids:
            return []
        return rows(
            conn,
            _MOVE_CLAIMED_JOBS,
            {
                "job_ids": picked.job_ids,
                "owners": picked.owners,
                "targets": picked.targets,
                "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
                "max_queuing_time": MAX_QUEUING_TIME,
                "zone": params["zone"],
            },
            CircuitJob,
            # Never prepared either: its generic plan, made while the table was small, joined the
            # given ids to a scan of the whole table (a limit=10 claim: 122 ms instead of 11 ms
            # once 60,000 rows had come in before the next ANALYZE).
            prepare=False,
        )


@dataclass(frozen=True)
class _Picked:
    """What the claim's first statement picked, and under which (locked) groups."""

    job_ids: list[int]
    owners: list[str]
    targets: list[str]
    window_full: bool | None
    ungrouped: list[int]
    streams_needed: bool = False


def _pick(conn: Conn, statement: LiteralString, params: Mapping[str, object]) -> _Picked:
    """Run the claim's first statement (lock_claim_line, lock_claim_groups or
    lock_claim_jobs)."""
    with conn.cursor(row_factory=class_row(_Picked)) as cur:
        # Never prepared: a generic plan cannot see which filters are NULL, and one made while
        # the table was small keeps reading it as if it still were until the next ANALYZE
        # (measured: 1.6 s instead of 7 ms for a limit=10 claim once 300,000 rows had come in).
        cur.execute(statement, params, prepare=False)
        found = cur.fetchone()
    return found if found is not None else _Picked([], [], [], False, [])


def claim_hamiltonian_jobs(conn: Conn, limit: int | None = None) -> list[HamiltonianJob]:
    """Move the oldest PENDING Hamiltonian jobs to WAITING; return them oldest first."""
    most = _limit(limit)
    if most == 0:
        return []
    return rows(
        conn, _CLAIM_HAMILTONIAN_JOBS, {"limit": most, "zone": portal_zone()}, HamiltonianJob
    )


def _job_ids(jobs: object) -> list[int]:
    if isinstance(jobs, (str, bytes)) or not isinstance(jobs, Iterable):
        raise InvalidArgument(f"jobs must be a list of circuit jobs, not {type(jobs).__name__}")
    ids = []
    for job in jobs:
        # A job of the package, the portal ORM's entity (anything with an int id), or an id.
        number = getattr(job, "id", job)
        found = check.job_id(number)
        if found is not None:
            ids.append(found)
    return ids


@contextmanager
def _callers_errors(conn: Conn) -> Iterator[None]:
    """Driver errors raised on the caller's connection, as the package's errors."""
    try:
        yield
    except psycopg.Error as exc:
        lost = conn.broken or is_connection_error(exc)
        dsn = "" if conn.closed and not conn.broken else conn.info.dsn
        if conn.autocommit and lost:
            raise CommitOutcomeUnknown(
                "the connection was lost while the claim committed on the caller's autocommit "
                f"connection; read the jobs back ({' '.join(str(exc).split())})"
            ) from None
        raise translate(exc, dsn, conn.broken) from None


def filter_queued_if_offline_and_fetch(qdb: Conn, jobs: Iterable[CircuitJob]) -> list[CircuitJob]:
    """Of ``jobs``, claim those still PENDING that the hold rule and the limit allow.

    Runs in the caller's open transaction on ``qdb`` (a psycopg connection), so that the
    claim commits or rolls back with the caller's own changes; returns the claimed jobs,
    oldest first. ``jobs`` may also be the portal ORM's entities, or job ids.
    """
    conn = qdb
    _require_connection(conn)
    ids = _job_ids(jobs)
    with _callers_errors(conn):
        return claim_circuit_jobs(conn, job_ids=ids)


def is_within_active_job_limit(qdb: Conn, job: CircuitJob) -> bool:
    """Whether the active-job limit lets ``job`` move to WAITING now.

    Runs in the caller's transaction on ``qdb`` (a psycopg connection): the job's (owner,
    target) group stays locked until that transaction ends, so the answer holds while the
    caller acts on it. ``job`` may also be the portal ORM's entity.
    """
    conn = qdb
    _require_connection(conn)
    number = getattr(job, "id", None)
    owner = reference_key(getattr(job, "owner", None), "identity")
    target = reference_key(getattr(job, "target_specification", None), "name")
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or not (isinstance(owner, str) and isinstance(target, str))
    ):
        raise InvalidArgument(
            "job must be a circuit job (the package's, or the portal ORM's entity), "
            f"not {type(job).__name__}"
        )
    number = check.job_id(number) or 0  # an id no job can have: every WAITING job counts
    owner = check.text(owner, "job.owner")
    target = check.text(target, "job.target_specification")
    if conn.autocommit:
        raise InvalidArgument(
            "is_within_active_job_limit needs the caller's transaction: on an autocommit "
            "connection the group lock would end with the call, before the caller acts on the "
            "answer"
        )
    group = {"owner": str(owner), "target_specification": str(target)}
    with _callers_errors(conn):
        _require_read_committed(conn)
        conn.execute(_LOCK_CLAIM_GROUP, group)
        within = value(
            conn,
            _GROUP_WITHIN_ACTIVE_JOB_LIMIT,
            {**group, "job_id": number, "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE},
        )
    return within is True


def _require_connection(conn: object) -> None:
    if not isinstance(conn, psycopg.Connection):
        raise InvalidArgument(f"qdb must be an open psycopg connection, not {type(conn).__name__}")
    if conn.closed:
        raise InvalidArgument("qdb is a closed connection")


def _require_read_committed(conn: Conn) -> None:
    """Refuse a transaction that is not READ COMMITTED, asking the server: the driver's
    ``isolation_level`` is None when a server, database or role default or a SET TRANSACTION
    chose the level."""
    shadows = value(conn, _SHADOWING_TEMP_TABLES, {})
    if shadows:
        raise InvalidArgument(
            f"the caller's session has temporary tables named like the package's ({shadows}); "
            "they would stand in for the real ones in a claim"
        )
    level = value(conn, _TRANSACTION_ISOLATION, {})
    if level != "read committed":
        raise InvalidArgument(
            f"claims need a READ COMMITTED transaction, not {str(level).upper()}: "
            "a snapshot older than the claim's locks would miss other claims"
        )
