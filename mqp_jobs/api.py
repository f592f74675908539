"""The module-level functions of the old job module: ``JobStore``'s methods, bound to a
default store.

The default store is built from $MQP_DATABASE_URL (or libpq's own defaults) and opened on
first use; ``configure`` points it elsewhere or at a caller's pool, and retires the store it
replaces (closed, never to open itself again). A module-level call that picked the old store
just before ``configure`` retired it is run again on the new one: nothing of it was sent.

Each function here that is a ``JobStore`` method is made by ``_bound`` from the method itself,
so the two cannot differ in signature, documentation or behaviour. Written out here are only
what is not a store method: the default store's life, ``migrate``, and the old module's six
claim spellings, each a filter for ``claim_jobs``. The two calls in a caller's transaction
(``filter_queued_if_offline_and_fetch``, ``is_within_active_job_limit``) need no store: they
are claims.py's functions, exported as they are and as JobStore's static methods.
"""

from __future__ import annotations

import atexit
import inspect
import threading
from collections.abc import Callable, Iterable
from typing import Concatenate, ParamSpec, TypeVar, cast

from psycopg_pool import ConnectionPool

from mqp_jobs import migrations
from mqp_jobs import validation as check
from mqp_jobs.claims import ClaimFilter
from mqp_jobs.connection import PoolSettings
from mqp_jobs.errors import InvalidArgument, StoreNotOpen
from mqp_jobs.models import CircuitJob
from mqp_jobs.store import JobStore

P = ParamSpec("P")
R = TypeVar("R")

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

    The store this replaces is closed for good: its pool (if the package opened it) is
    closed, a call still holding it raises StoreNotOpen, and a module-level call that raced
    with the replacement runs on the new store instead. A caller's pool is left open. Nothing
    connects until the first call, which opens the store (also a call on the returned store:
    it opens itself while it is the default store, and again after ``close()``). Times are
    in seconds; unset ones take PoolSettings' defaults. The sizes and session timeouts apply
    to the package's own pool: with a caller's ``pool`` they are refused (InvalidArgument)
    rather than ignored, since the caller's pool configures its own connections
    (``connect_timeout`` is kept: it bounds how long a call waits for one of them).
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
    store = JobStore(conninfo, pool=pool, settings=settings)._open_on_first_use()
    with _lock:
        previous, _default = _default, store
    if previous is not None:
        previous._retire()
    return store


def default_store() -> JobStore:
    """The store behind the module-level functions, open.

    Built from the environment on first use (or by ``configure``), and opened when it is not
    open: on first use, and again after ``close()``. DatabaseUnavailable if it cannot connect.
    """
    global _default
    while True:
        with _lock:
            if _default is None:
                _default = JobStore()._open_on_first_use()
            store = _default
        try:
            store._open_pool()  # a store replaced meanwhile refuses, and stays closed
        except StoreNotOpen:
            if not store._replaced:
                raise
            continue  # configure() replaced it since it was picked: take the new one
        return store


def _on_default_store(name: str, /, *args: object, **kwargs: object) -> object:
    """Call the method ``name`` of the default store (looked up at each call, so that a store
    instrumented in place by ``metrics.instrument`` is measured).

    A call whose store ``configure`` replaced and closed under it raises StoreNotOpen having
    sent nothing; it is run again, on the store that replaced it. Each new try means another
    ``configure`` came in between, so the tries end when the process stops reconfiguring.
    """
    while True:
        store = default_store()
        try:
            return getattr(store, name)(*args, **kwargs)
        except StoreNotOpen:
            if not store._replaced:
                raise


def close() -> None:
    """Close the default store; the next module-level call opens it again."""
    with _lock:
        store = _default
    if store is not None:
        store.close()


atexit.register(close)


def migrate(conninfo: str | None = None) -> list[int]:
    """Create or upgrade the schema; returns the versions applied now (none if up to date).

    Idempotent, and safe to run from two processes at once. Without ``conninfo``: the
    configured database, else $MQP_DATABASE_URL, else libpq's defaults.
    """
    if conninfo is None and _default is not None:
        conninfo = _default.conninfo
    return migrations.migrate(conninfo)


def _bound(method: Callable[Concatenate[JobStore, P], R]) -> Callable[P, R]:
    """``method`` as a module-level function that calls it on the default store.

    The function has the method's name, documentation and signature (without ``self``), so
    that ``help()`` and ``inspect.signature`` show the real parameters, and ``__wrapped__``
    is the method itself (the surface test checks it). The method is looked up on the store
    at each call, so a store instrumented by ``metrics.instrument`` is measured through the
    module-level functions too.
    """
    name = method.__name__

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, _on_default_store(name, *args, **kwargs))

    signature = inspect.signature(method)
    call.__name__ = name
    call.__qualname__ = name
    call.__doc__ = method.__doc__
    call.__module__ = __name__
    call.__wrapped__ = method  # type: ignore[attr-defined]
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:]
    )
    return call


# Reference data
create_user = _bound(JobStore.create_user)
create_budget = _bound(JobStore.create_budget)
create_user_group = _bound(JobStore.create_user_group)
link_user_group_to_budget = _bound(JobStore.link_user_group_to_budget)
create_resource = _bound(JobStore.create_resource)
set_resource_maintenance = _bound(JobStore.set_resource_maintenance)
create_target_spec = _bound(JobStore.create_target_spec)

# Submitting
create_job = _bound(JobStore.create_job)
create_jobs = _bound(JobStore.create_jobs)
create_hamiltonian_job = _bound(JobStore.create_hamiltonian_job)

# Claims
claim_jobs = _bound(JobStore.claim_jobs)
fetch_all_pending_hamiltonian_jobs = _bound(JobStore.fetch_all_pending_hamiltonian_jobs)

# After a claim
complete_job_with_result = _bound(JobStore.complete_job_with_result)
complete_hamiltonian_job_with_result = _bound(JobStore.complete_hamiltonian_job_with_result)
complete_jobs_with_results = _bound(JobStore.complete_jobs_with_results)
complete_hamiltonian_jobs_with_results = _bound(JobStore.complete_hamiltonian_jobs_with_results)
cancel_job = _bound(JobStore.cancel_job)
cancel_hamiltonian_job = _bound(JobStore.cancel_hamiltonian_job)
fail_job = _bound(JobStore.fail_job)
fail_hamiltonian_job = _bound(JobStore.fail_hamiltonian_job)
update_hybrid_job = _bound(JobStore.update_hybrid_job)

# Keeping the queue healthy
requeue_stale_jobs = _bound(JobStore.requeue_stale_jobs)
queue_stats = _bound(JobStore.queue_stats)
wait_for_pending_jobs = _bound(JobStore.wait_for_pending_jobs)

# Reads
fetch_by_identity = _bound(JobStore.fetch_by_identity)
fetch_by_identity_pages = _bound(JobStore.fetch_by_identity_pages)
fetch_hamiltonian_job_by_identity = _bound(JobStore.fetch_hamiltonian_job_by_identity)
fetch_hamiltonian_job_by_task_id = _bound(JobStore.fetch_hamiltonian_job_by_task_id)
fetch_result_by_job_id_and_identity = _bound(JobStore.fetch_result_by_job_id_and_identity)
job_history = _bound(JobStore.job_history)
fetch_all_waiting_jobs = _bound(JobStore.fetch_all_waiting_jobs)
fetch_all_waiting_hamiltonian_jobs = _bound(JobStore.fetch_all_waiting_hamiltonian_jobs)


# The old module's claims: one filter each for claim_jobs. The arguments are checked under
# their old names, so that an error names the argument the caller passed.


def _claim(where: ClaimFilter | None, limit: int | None) -> list[CircuitJob]:
    return cast(list[CircuitJob], _on_default_store("claim_jobs", where, limit=limit))


def fetch_all_pending_jobs(*, limit: int | None = None) -> list[CircuitJob]:
    """Claim eligible PENDING circuit jobs (FIFO, hold rule, active-job limit) as WAITING.

    ``claim_jobs()`` on the default store.
    """
    return _claim(None, limit)


def fetch_all_pending_jobs_from_users(
    userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim as fetch_all_pending_jobs, only jobs of ``userids``.

    ``claim_jobs(ClaimFilter(users=userids))`` on the default store.
    """
    where = ClaimFilter(users=check.names(userids, "userids"))
    return _claim(where, limit)


def fetch_all_pending_jobs_for_resource_from_users(
    resource: str, userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim as fetch_all_pending_jobs, only jobs on ``resource`` of ``userids``.

    ``claim_jobs(ClaimFilter(resource=resource, users=userids))`` on the default store.
    """
    where = ClaimFilter(
        resource=check.text(resource, "resource"), users=check.names(userids, "userids")
    )
    return _claim(where, limit)


def fetch_all_pending_jobs_for_resource_not_from_users(
    resource: str, userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim as fetch_all_pending_jobs, only jobs on ``resource`` not of ``userids``.

    ``claim_jobs(ClaimFilter(resource=resource, not_users=userids))`` on the default store.
    """
    where = ClaimFilter(
        resource=check.text(resource, "resource"), not_users=check.names(userids, "userids")
    )
    return _claim(where, limit)


def fetch_all_pending_jobs_except_for_resources(
    resources: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim as fetch_all_pending_jobs, only jobs not on ``resources`` (or on no resource).

    ``claim_jobs(ClaimFilter(not_resources=resources))`` on the default store.
    """
    where = ClaimFilter(not_resources=check.names(resources, "resources"))
    return _claim(where, limit)


def fetch_all_pending_jobs_except_for_resource_not_from_users(
    resource: str, userids: Iterable[str], *, limit: int | None = None
) -> list[CircuitJob]:
    """Claim as fetch_all_pending_jobs: jobs off ``resource``, and on it only of ``userids``.

    ``claim_jobs(ClaimFilter(reserved_resource=resource, reserved_for=userids))`` on the
    default store.
    """
    where = ClaimFilter(
        reserved_resource=check.text(resource, "resource"),
        reserved_for=check.names(userids, "userids"),
    )
    return _claim(where, limit)
