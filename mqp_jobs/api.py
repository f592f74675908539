"""The module-level functions of the old job module, over a default store.

The default store is built on first use from $MQP_DATABASE_URL (or libpq's own defaults);
``configure`` points it elsewhere or at a caller's pool.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from mqp_jobs import claims, migrations
from mqp_jobs.connection import PoolSettings
from mqp_jobs.errors import InvalidArgument
from mqp_jobs.execute import Conn
from mqp_jobs.models import CircuitJob, HamiltonianJob, JobEvent, QueueStats, RequeuedJobs
from mqp_jobs.store import JobStore

_lock = threading.Lock()
_default: JobStore | None = None


def configure(
    conninfo: str | None = None,
    *,
    pool: ConnectionPool | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_timeout: float | None = None,
    idle_in_transaction_timeout: float | None = None,
) -> JobStore:
    """Point the module-level functions at ``conninfo`` or at ``pool``; returns the new store.

    A pool this package opened before is closed; a caller's pool is left open. Nothing
    connects until the first call that needs the database. Times are in seconds; unset ones
    take PoolSettings' defaults. The sizes and session timeouts apply to the package's own
    pool: with a caller's ``pool`` they are refused (InvalidArgument) rather than ignored,
    since the caller's pool configures its own connections (``connect_timeout`` is kept: it
    bounds how long a call waits for one of them).
    """
    global _default
    given = {
        "min_size": min_size,
        "max_size": max_size,
        "connect_timeout": connect_timeout,
        "statement_timeout": statement_timeout,
        "lock_timeout": lock_timeout,
        "idle_in_transaction_timeout": idle_in_transaction_timeout,
    }
    chosen = {name: setting for name, setting in given.items() if setting is not None}
    ignored = sorted(set(chosen) - {"connect_timeout"})
    if pool is not None and ignored:
        raise InvalidArgument(
            f"{', '.join(ignored)} cannot be applied to a caller's pool; configure the pool "
            "itself (its connections' session settings and sizes)"
        )
    settings = PoolSettings(**chosen)  # type: ignore[arg-type]
    store = JobStore(conninfo, pool=pool, settings=settings)
    with _lock:
        previous, _default = _default, store
    if previous is not None:
        previous.close()
    return store


def default_store() -> JobStore:
    """The store behind the module-level functions, built from the environment on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = JobStore()
        return _default


def close() -> None:
    """Close the default store's pool; the next call opens a new one."""
    with _lock:
        store = _default
    if store is not None:
        store.close()


atexit.register(close)


def migrate(conninfo: str | None = None) -> list[int]:
    """Create or upgrade the schema; returns the versions applied now (none if up to date).

    Without ``conninfo``: the configured database, else $MQP_DATABASE_URL, else libpq's defaults.
    """
    if conninfo is None and _default is not None:
        conninfo = _default.conninfo
    return migrations.migrate(conninfo)


def create_user(identity: str) -> None:
    """A user (the portal's other columns get neutral defaults); a no-op if it exists."""
    default_store().create_user(identity)


def create_budget(name: str, owner: str, members: Iterable[str] = ()) -> None:
    """A budget of ``owner``; ``members`` may charge it too. BudgetNotAllowed for another
    owner's."""
    default_store().create_budget(name, owner, members)


def create_user_group(name: str, owner: str, members: Iterable[str] = ()) -> None:
    """A user group of ``owner`` with ``members``; BudgetNotAllowed if another owns it."""
    default_store().create_user_group(name, owner, members)


def link_user_group_to_budget(user_group: str, budget: str) -> None:
    """Let the members of ``user_group`` charge ``budget``."""
    default_store().link_user_group_to_budget(user_group, budget)


def create_resource(name: str, maintenance: bool = False) -> None:
    """A resource, in maintenance or not; a no-op if it exists."""
    default_store().create_resource(name, maintenance)


def set_resource_maintenance(name: str, maintenance: bool) -> None:
    """Put a resource in or out of maintenance; UnknownResource if it does not exist."""
    default_store().set_resource_maintenance(name, maintenance)


def create_target_spec(name: str, resource_name: str | None) -> None:
    """A target specification on ``resource_name`` (None or '' for a technology only)."""
    default_store().create_target_spec(name, resource_name)


def create_job(
    shots: int,
    circuit: str,
    owner: str,
    budget: str,
    target_spec: str,
    circuit_format: str,
    no_modify: bool = False,
    queued: bool = False,
) -> CircuitJob:
    """Submit a circuit job (PENDING); typed errors for unknown names or a budget not allowed."""
    return default_store().create_job(
        shots, circuit, owner, budget, target_spec, circuit_format, no_modify, queued
    )


def create_jobs(jobs: Iterable[Mapping[str, object]]) -> list[CircuitJob]:
    """Many circuit jobs (mappings of create_job's arguments) in one statement: all or none."""
    return default_store().create_jobs(jobs)


def create_hamiltonian_job(
    interaction_str: str, coefficients_str: str, owner: str, budget: str, target_spec: str
) -> HamiltonianJob:
    """Submit a Hamiltonian job (PENDING); the same checks as create_job."""
    return default_store().create_hamiltonian_job(
        interaction_str, coefficients_str, owner, budget, target_spec
    )


def fetch_all_pending_jobs(*, limit: int | None = None) -> list[CircuitJob]:
    """Claim eligible PENDING circuit jobs (FIFO, hold rule, active-job limit) as WAITING."""
    return default_store().fetch_all_pending_jobs(limit=limit)


def fetch_all_pending_jobs_from_users(
    userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim as fetch_all_pending_jobs, only jobs of ``userids``."""
    return default_store().fetch_all_pending_jobs_from_users(userids, limit=limit)


def fetch_all_pending_jobs_for_resource_from_users(
    resource: str, userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim jobs on ``resource`` of ``userids``."""
    return default_store().fetch_all_pending_jobs_for_resource_from_users(
        resource, userids, limit=limit
    )


def fetch_all_pending_jobs_for_resource_not_from_users(
    resource: str, userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim jobs on ``resource`` not of ``userids``."""
    return default_store().fetch_all_pending_jobs_for_resource_not_from_users(
        resource, userids, limit=limit
    )


def fetch_all_pending_jobs_except_for_resources(
    resources: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim jobs not on ``resources`` (or on no resource)."""
    return default_store().fetch_all_pending_jobs_except_for_resources(resources, limit=limit)


def fetch_all_pending_jobs_except_for_resource_not_from_users(
    resource: str, userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim jobs off ``resource``, or on it if of ``userids``."""
    return default_store().fetch_all_pending_jobs_except_for_resource_not_from_users(
        resource, userids, limit=limit
    )


def fetch_all_pending_hamiltonian_jobs(*, limit: int | None = None) -> list[HamiltonianJob]:
    """Claim PENDING Hamiltonian jobs (FIFO; no hold rule or limit) as WAITING."""
    return default_store().fetch_all_pending_hamiltonian_jobs(limit=limit)


def filter_queued_if_offline_and_fetch(qdb: Conn, jobs: Iterable[CircuitJob]) -> list[CircuitJob]:
    """Within the caller's open transaction on ``qdb``: of ``jobs``, move to WAITING those
    still PENDING that the hold rule and the active-job limit allow; return them oldest first."""
    return claims.filter_queued_if_offline_and_fetch(qdb, jobs)


def is_within_active_job_limit(qdb: Conn, job: CircuitJob) -> bool:
    """Within the caller's transaction on ``qdb``: whether the active-job limit lets ``job``
    move to WAITING now (its group stays locked until that transaction ends)."""
    return claims.is_within_active_job_limit(qdb, job)


def complete_job_with_result(
    job_id: int,
    result: str | None,
    executed_resource: str,
    executed_circuit: str | None,
    note: str | None = "",
    *,
    attempt: int | None = None,
) -> None:
    """WAITING -> COMPLETED with the result; ``attempt`` fences a stale runner off."""
    default_store().complete_job_with_result(
        job_id, result, executed_resource, executed_circuit, note, attempt=attempt
    )


def complete_hamiltonian_job_with_result(
    job_id: int,
    result: str | None,
    executed_resource: str,
    executed_circuit: str | None,
    note: str | None = "",
    *,
    attempt: int | None = None,
) -> None:
    """As complete_job_with_result, for a Hamiltonian job."""
    default_store().complete_hamiltonian_job_with_result(
        job_id, result, executed_resource, executed_circuit, note, attempt=attempt
    )


def complete_jobs_with_results(completions: Iterable[Mapping[str, object]]) -> None:
    """Complete many WAITING circuit jobs in one statement: all, or none on any refusal."""
    default_store().complete_jobs_with_results(completions)


def complete_hamiltonian_jobs_with_results(completions: Iterable[Mapping[str, object]]) -> None:
    """Complete many WAITING Hamiltonian jobs in one statement: all, or none on any refusal."""
    default_store().complete_hamiltonian_jobs_with_results(completions)


def cancel_job(job_id: int, note: str | None, *, attempt: int | None = None) -> None:
    """Cancel a PENDING/WAITING circuit job, or requeue a queued one whose resource is down."""
    default_store().cancel_job(job_id, note, attempt=attempt)


def cancel_hamiltonian_job(job_id: int, note: str | None, *, attempt: int | None = None) -> None:
    """Cancel a PENDING/WAITING Hamiltonian job (never requeued)."""
    default_store().cancel_hamiltonian_job(job_id, note, attempt=attempt)


def fail_job(job_id: int, note: str | None, *, attempt: int | None = None) -> None:
    """WAITING -> FAILED: the runner gave up; ``attempt`` as for the completions."""
    default_store().fail_job(job_id, note, attempt=attempt)


def fail_hamiltonian_job(job_id: int, note: str | None, *, attempt: int | None = None) -> None:
    """As fail_job, for a Hamiltonian job."""
    default_store().fail_hamiltonian_job(job_id, note, attempt=attempt)


def update_hybrid_job(
    job_id: int,
    epochs: int,
    params: str | None,
    parametric_circuit: str | None,
    note: str | None,
    *,
    attempt: int | None = None,
) -> None:
    """Store one epoch (epochs, params, parametric circuit, note) of a hybrid Hamiltonian job."""
    default_store().update_hybrid_job(
        job_id, epochs, params, parametric_circuit, note, attempt=attempt
    )


def job_history(job_id: int | str, kind: str = "circuit") -> list[JobEvent]:
    """What happened to a job: its status changes from the event log, oldest first."""
    return default_store().job_history(job_id, kind)


def requeue_stale_jobs(older_than: timedelta) -> RequeuedJobs:
    """Jobs WAITING for longer than ``older_than`` (their runner died) go back to PENDING."""
    return default_store().requeue_stale_jobs(older_than)


def queue_stats() -> QueueStats:
    """Counts by kind, status and resource, the oldest pending job's age, held jobs."""
    return default_store().queue_stats()


def wait_for_pending_jobs(timeout: float) -> bool:
    """Block until a job is submitted (True) or ``timeout`` seconds pass (False)."""
    return default_store().wait_for_pending_jobs(timeout)


def fetch_by_identity(identity: str) -> list[CircuitJob]:
    """Every circuit job of ``identity``, by id; [] for an unknown identity."""
    return default_store().fetch_by_identity(identity)


def fetch_by_identity_pages(
    identity: str,
    page: int,
    jobs_per_page: int,
    order: str,
    order_by: str | None,
    filter_query: str | None,
) -> dict[str, Any]:
    """One dashboard page: ``{"jobs": [...], "totaljob_nr": n}``; see the README for the
    arguments."""
    return default_store().fetch_by_identity_pages(
        identity, page, jobs_per_page, order, order_by, filter_query
    )


def fetch_hamiltonian_job_by_identity(identity: str) -> list[HamiltonianJob]:
    """Every Hamiltonian job of ``identity``, by id."""
    return default_store().fetch_hamiltonian_job_by_identity(identity)


def fetch_hamiltonian_job_by_task_id(task_id: int | str) -> list[HamiltonianJob]:
    """The Hamiltonian job with this id, as a list of zero or one."""
    return default_store().fetch_hamiltonian_job_by_task_id(task_id)


def fetch_result_by_job_id_and_identity(job_id: int | str, identity: str) -> CircuitJob | None:
    """The circuit job with this id if ``identity`` owns it, else None."""
    return default_store().fetch_result_by_job_id_and_identity(job_id, identity)


def fetch_all_waiting_jobs() -> list[CircuitJob]:
    """Every WAITING circuit job, by id."""
    return default_store().fetch_all_waiting_jobs()


def fetch_all_waiting_hamiltonian_jobs() -> list[HamiltonianJob]:
    """Every WAITING Hamiltonian job, by id."""
    return default_store().fetch_all_waiting_hamiltonian_jobs()
