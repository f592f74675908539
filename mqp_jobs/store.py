"""The repository: every public operation as one short method over a connection pool.

``JobStore`` is the package's one implementation of its operations; the module-level functions
(``mqp_jobs.create_job`` and the rest) are its methods bound to a default store.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType
from typing import Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from mqp_jobs import claims, operations, reads, reference, submit, transitions
from mqp_jobs import validation as check
from mqp_jobs.claims import ClaimFilter
from mqp_jobs.connection import (
    PoolSettings,
    describe,
    is_connection_error,
    open_pool,
    probe,
    resolve_conninfo,
    translate,
    unavailable,
)
from mqp_jobs.errors import (
    CommitOutcomeUnknown,
    DatabaseUnavailable,
    InvalidArgument,
    MqpJobsError,
    PoolExhausted,
    StoreNotOpen,
)
from mqp_jobs.execute import Conn
from mqp_jobs.models import (
    CircuitJob,
    DashboardPage,
    HamiltonianJob,
    JobCompletion,
    JobEvent,
    JobStatus,
    NewCircuitJob,
    QueueStats,
    RequeuedJobs,
)
from mqp_jobs.transitions import CIRCUIT, HAMILTONIAN
from mqp_jobs.wakeups import SubmissionListener

MAX_WAIT = 86400.0
"""The longest one wait_for_pending_jobs may block (a scheduler waits again after it)."""


class JobStore:
    """The job database over one connection pool: the caller's, or the store's own.

    Open it before use, and close it when done::

        with JobStore(url) as store:
            store.create_job(...)

    or ``store = JobStore(url).open()`` ... ``store.close()``. A call on a store that is not
    open raises StoreNotOpen: the store never connects behind its caller's back. The
    module-level functions use a default store that opens itself on first use, until
    ``configure`` replaces it: the replaced store is closed, and never opens itself again.

    Args:
        conninfo: a libpq URL or conninfo; None: $MQP_DATABASE_URL, else the portal's
            $QUANTUM_DB_* variables, else libpq's defaults.
        pool: a caller's open ``psycopg_pool.ConnectionPool`` to use instead of one of the
            store's own; the caller opens and closes it.
        settings: sizes and timeouts of the store's own pool.
    """

    def __init__(
        self,
        conninfo: str | None = None,
        *,
        pool: ConnectionPool | None = None,
        settings: PoolSettings | None = None,
    ) -> None:
        if pool is None:
            self._conninfo = resolve_conninfo(conninfo)
        else:
            self._conninfo = pool.conninfo if isinstance(pool.conninfo, str) else pool.conninfo()
        self._settings = settings or PoolSettings()
        self._pool = pool
        self._owns_pool = pool is None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._listener: SubmissionListener | None = None
        self._in_use = 0
        self._state: Literal["new", "open", "closed"] = "new"
        self._opens_itself = False
        self._retired = False

    @property
    def conninfo(self) -> str:
        """The conninfo the store connects with (its caller's pool's, with a pool)."""
        return self._conninfo

    @property
    def is_open(self) -> bool:
        """Whether the store is open: opened, and not closed since."""
        return self._state == "open"

    def open(self) -> JobStore:
        """Open the store's own pool and wait for its first connection; returns the store.

        Does nothing on an open store. With a caller's pool, only marks the store open (the
        pool is the caller's to open). A store closed before opens a new pool. Raises
        DatabaseUnavailable, naming what was tried, if no connection comes within the connect
        timeout; the store is then not open, and may be opened again later.
        """
        with self._lock:
            self._forget_inherited()
            if self._pool is None:
                self._pool = open_pool(self._conninfo, self._settings)
            self._state = "open"
        return self

    def __enter__(self) -> JobStore:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _open_on_first_use(self) -> JobStore:
        """Let a call on the store open it when it is not open: for the default store of the
        module-level functions, whose callers (the old module's) never open anything."""
        self._opens_itself = True
        return self

    def _retire(self) -> None:
        """Close a default store that ``configure`` replaced, for good: it no longer opens
        itself, so a call that still holds it cannot open a pool nobody would close."""
        with self._lock:
            self._opens_itself = False
            self._retired = True
            self._close()

    @property
    def _replaced(self) -> bool:
        """Whether ``configure`` replaced this store as the default (and closed it)."""
        return self._retired

    def _require_open(self) -> None:
        """Refuse a call on a store that is not open (unless it opens itself). Called with
        the lock held."""
        if self._state == "open" or self._opens_itself:
            return
        if self._retired:
            raise self._replaced_error()
        if self._state == "new":
            raise StoreNotOpen(
                "this JobStore was never opened: call store.open() first, or use "
                "`with JobStore(...) as store:`"
            )
        if self._state == "closed":
            raise StoreNotOpen("this JobStore was closed; open it again to use it")

    @staticmethod
    def _replaced_error() -> StoreNotOpen:
        return StoreNotOpen(
            "this JobStore was the default store until configure() replaced it, and is closed; "
            "the module-level functions use the new one (mqp_jobs.default_store())"
        )

    def _forget_inherited(self) -> None:
        """In a forked child, drop the parent's connections unclosed: the child opens its own,
        and closing would break the parent's sockets. Called with the lock held."""
        if self._pid != os.getpid():
            self._listener, self._pid = None, os.getpid()
            if self._owns_pool:
                self._pool = None

    def _open_pool(self) -> ConnectionPool:
        """The pool of an open store; in a forked child, a pool of the child's own."""
        with self._lock:
            self._require_open()
            self._forget_inherited()
            if self._pool is None:
                self._pool = open_pool(self._conninfo, self._settings)
            self._state = "open"
            return self._pool

    def close(self) -> None:
        """Close the store: its own pool and listener; a caller's pool is left to the caller.

        Calls on the store then raise StoreNotOpen until it is opened again. Closing a closed
        or never opened store does nothing.
        """
        with self._lock:
            self._close()

    def _close(self) -> None:
        """close(), with the lock held."""
        self._state = "closed"
        if self._pid == os.getpid():
            if self._owns_pool and self._pool is not None:
                self._pool.close()
            if self._listener is not None:
                self._listener.close()
        self._pool = None if self._owns_pool else self._pool
        self._listener = None

    @contextmanager
    def connection(self, *, autocommit: bool = False) -> Iterator[Conn]:
        """A pooled connection in a transaction, committed when the block ends without error.

        Errors come out as the package's: a lost connection is DatabaseUnavailable (nothing was
        changed) or, if it was lost while committing, CommitOutcomeUnknown (the change may or
        may not be stored); a statement or lock timeout OperationTimedOut; a serialization
        failure or deadlock Conflict; an exhausted pool PoolExhausted.

        ``autocommit``: for an operation that is one statement, which then commits by itself,
        saving the BEGIN and COMMIT round trips. A connection lost during it is then
        CommitOutcomeUnknown, since the statement may have committed before the reply was lost.
        StoreNotOpen on a store that is not open.
        """
        pool = self._open_pool()
        try:
            with (
                pool.connection(timeout=self._settings.connect_timeout) as conn,
                self._checked_out(),
            ):
                try:
                    # A caller's pool may hand out autocommit connections: the package sets
                    # the mode it needs for the call, and gives the connection back as it was.
                    given = conn.autocommit
                    conn.autocommit = autocommit
                    try:
                        yield conn
                    finally:
                        if not conn.broken and not conn.closed and conn.autocommit != given:
                            with contextlib.suppress(psycopg.Error):
                                if not autocommit:
                                    conn.rollback()
                                conn.autocommit = given
                except psycopg.Error as exc:
                    if autocommit and (conn.broken or is_connection_error(exc)):
                        raise self._outcome_unknown(exc) from None
                    raise self._error(conn, exc) from None
                try:
                    conn.commit()
                except psycopg.Error as exc:
                    if conn.broken or is_connection_error(exc):
                        raise self._outcome_unknown(exc) from None
                    raise self._error(conn, exc) from None
        except PoolTimeout as exc:
            raise self._pool_timeout(pool, exc) from None
        except PoolClosed:
            if self._retired:  # closed under the call by configure(): nothing was sent
                raise self._replaced_error() from None
            raise DatabaseUnavailable(
                f"the connection pool to {describe(self._conninfo)} is closed (the store was "
                "closed, or its caller's pool)"
            ) from None

    def _outcome_unknown(self, exc: psycopg.Error) -> CommitOutcomeUnknown:
        return CommitOutcomeUnknown(
            f"the connection to {describe(self._conninfo)} was lost while committing; the "
            f"change may or may not be stored: read it back before acting again "
            f"({' '.join(str(exc).split())})"
        )

    def _error(self, conn: Conn, exc: psycopg.Error) -> MqpJobsError:
        """The package's error for a driver error inside a pooled transaction."""
        return translate(exc, self._conninfo, conn.broken)

    @contextmanager
    def _checked_out(self) -> Iterator[None]:
        """Count the connections this store's callers hold."""
        with self._lock:
            self._in_use += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_use -= 1

    def _pool_timeout(self, pool: ConnectionPool, exc: PoolTimeout) -> MqpJobsError:
        """A pool whose every connection stayed in use, or a server that cannot be reached.
        Only when this store's callers do not hold every connection is the server probed
        (the pool may be shared with other code, or the server gone)."""
        with self._lock:
            in_use = self._in_use
        exhausted = PoolExhausted(
            f"all {pool.max_size} connections of the pool to {describe(self._conninfo)} "
            f"stayed in use for {self._settings.connect_timeout:g} s; raise max_size or "
            "hold connections for less time"
        )
        if in_use >= pool.max_size:
            return exhausted
        reason = probe(self._conninfo, self._settings.connect_timeout)
        if reason is None or isinstance(reason, pg_errors.TooManyConnections):
            return exhausted  # the server answers: the connections are busy
        return unavailable(self._conninfo, reason)

    # Reference data

    def create_user(self, identity: str) -> None:
        """Create a user; a no-op if it exists.

        The portal's other user columns get neutral defaults: the portal manages its users
        with its other modules, this is for tests, demos and small installations.
        """
        with self.connection() as conn:
            reference.create_user(conn, identity)

    def create_budget(self, name: str, owner: str, members: Iterable[str] = ()) -> None:
        """Create a budget of ``owner`` that ``members`` may charge too.

        The members are granted the portal's way, through a user group linked to the budget.
        An existing budget of the same owner is left as it is (members are added); one of
        another owner is refused with BudgetNotAllowed, never joined.
        """
        with self.connection() as conn:
            reference.create_budget(conn, name, owner, members)

    def create_user_group(self, name: str, owner: str, members: Iterable[str] = ()) -> None:
        """Create a user group of ``owner`` with ``members``; BudgetNotAllowed if another
        owns it."""
        with self.connection() as conn:
            reference.create_user_group(conn, name, owner, members)

    def link_user_group_to_budget(self, user_group: str, budget: str) -> None:
        """Let the members of ``user_group`` charge ``budget``."""
        with self.connection() as conn:
            reference.link_user_group_to_budget(conn, user_group, budget)

    def create_resource(self, name: str, maintenance: bool = False) -> None:
        """Create a resource, in maintenance or not; a no-op if it exists."""
        with self.connection() as conn:
            reference.create_resource(conn, name, maintenance)

    def set_resource_maintenance(self, name: str, maintenance: bool) -> None:
        """Put a resource in or out of maintenance; UnknownResource if it does not exist.

        While a resource is in maintenance, its queued jobs submitted within the last
        MAX_QUEUING_TIME seconds are held back from claims (the hold rule).
        """
        with self.connection() as conn:
            reference.set_resource_maintenance(conn, name, maintenance)

    def create_target_spec(self, name: str, resource_name: str | None) -> None:
        """Create a target specification on ``resource_name``; a no-op if it exists.

        ``resource_name`` may be None or ``''`` (a target by technology only), or name a
        resource that has no row yet.
        """
        with self.connection() as conn:
            reference.create_target_spec(conn, name, resource_name)

    # Submitting

    def create_job(
        self,
        shots: int,
        circuit: str,
        owner: str,
        budget: str,
        target_spec: str,
        circuit_format: str,
        no_modify: bool = False,
        queued: bool = False,
    ) -> CircuitJob:
        """Submit a circuit job; returns it, PENDING.

        ``queued``: while the target's resource is in maintenance, claims keep the job back
        until it has waited MAX_QUEUING_TIME (the hold rule), and a cancel that reports the
        resource down puts it back in line instead of cancelling it.

        Raises InvalidJob for malformed fields; UnknownOwner, UnknownBudget, UnknownTargetSpec
        for names that do not exist; BudgetNotAllowed if the owner may not charge the budget.
        Nothing is stored then.
        """
        with self.connection(autocommit=True) as conn:  # one guarded INSERT
            return submit.create_job(
                conn, shots, circuit, owner, budget, target_spec, circuit_format, no_modify, queued
            )

    def create_jobs(self, jobs: Iterable[NewCircuitJob]) -> list[CircuitJob]:
        """Submit many circuit jobs in one statement; returns them in the order given.

        Each entry holds create_job's arguments by name. All are stored, or none if any is
        refused (the error names the entry), so a caller never has to clean up half a batch.
        """
        with self.connection() as conn:
            return submit.create_jobs(conn, jobs)

    def create_hamiltonian_job(
        self,
        interaction_str: str,
        coefficients_str: str,
        owner: str,
        budget: str,
        target_spec: str,
    ) -> HamiltonianJob:
        """Submit a Hamiltonian job; returns it, PENDING. The same checks as create_job."""
        with self.connection() as conn:
            return submit.create_hamiltonian_job(
                conn, interaction_str, coefficients_str, owner, budget, target_spec
            )

    # Claims

    def claim_jobs(
        self, filter: ClaimFilter | None = None, *, limit: int | None = None
    ) -> list[CircuitJob]:
        """Claim PENDING circuit jobs: move them to WAITING and return them, oldest first.

        A job is claimed once only, however many schedulers claim at the same time. Jobs go in
        submission order, except those the hold rule keeps back (queued jobs of a resource in
        maintenance) and those over the active-job limit (MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE
        WAITING jobs per owner and target).

        Args:
            filter: which jobs to consider (None: all).
            limit: the most jobs to claim (None: every eligible job).
        """
        with self.connection() as conn:
            # The package's own connections pin READ COMMITTED; a caller's pool is checked.
            return claims.claim_circuit_jobs(conn, filter, limit, own_connection=self._owns_pool)

    def fetch_all_pending_hamiltonian_jobs(
        self, *, limit: int | None = None
    ) -> list[HamiltonianJob]:
        """Claim PENDING Hamiltonian jobs: move them to WAITING and return them, oldest first.

        No hold rule or active-job limit applies to Hamiltonian jobs. ``limit``: the most jobs
        to claim (None: all).
        """
        with self.connection() as conn:
            return claims.claim_hamiltonian_jobs(conn, limit)

    # In the caller's transaction, on the caller's connection: the same functions as at module
    # level, which need no store.
    filter_queued_if_offline_and_fetch = staticmethod(claims.filter_queued_if_offline_and_fetch)
    is_within_active_job_limit = staticmethod(claims.is_within_active_job_limit)

    # After a claim

    def complete_job_with_result(
        self,
        job_id: int,
        result: str | None,
        executed_resource: str,
        executed_circuit: str | None,
        note: str | None = "",
        *,
        attempt: int | None = None,
    ) -> None:
        """Store a WAITING circuit job's result: it becomes COMPLETED.

        ``attempt``: the claimed job's ``attempt``, so that a runner whose claim was requeued
        and claimed again is refused (StaleAttempt) instead of storing a stale result. A
        retried call with the same values is a no-op. JobNotFound for an unknown id,
        InvalidTransition if the job is not WAITING.
        """
        with self.connection() as conn:
            transitions.complete(
                conn, CIRCUIT, job_id, result, executed_resource, executed_circuit, note, attempt
            )

    def complete_hamiltonian_job_with_result(
        self,
        job_id: int,
        result: str | None,
        executed_resource: str,
        executed_circuit: str | None,
        note: str | None = "",
        *,
        attempt: int | None = None,
    ) -> None:
        """Store a WAITING Hamiltonian job's result: as complete_job_with_result."""
        with self.connection() as conn:
            transitions.complete(
                conn,
                HAMILTONIAN,
                job_id,
                result,
                executed_resource,
                executed_circuit,
                note,
                attempt,
            )

    def complete_jobs_with_results(self, completions: Iterable[JobCompletion]) -> None:
        """Complete many WAITING circuit jobs in one statement: all, or none on any refusal.

        Each entry holds complete_job_with_result's arguments by name (job_id and
        executed_resource; result, executed_circuit, note and attempt may be left out).
        """
        with self.connection() as conn:
            transitions.complete_many(conn, CIRCUIT, completions)

    def complete_hamiltonian_jobs_with_results(self, completions: Iterable[JobCompletion]) -> None:
        """Complete many WAITING Hamiltonian jobs in one statement: as
        complete_jobs_with_results."""
        with self.connection() as conn:
            transitions.complete_many(conn, HAMILTONIAN, completions)

    def cancel_job(self, job_id: int, note: str | None, *, attempt: int | None = None) -> JobStatus:
        """Cancel a PENDING or WAITING circuit job; returns its new status.

        A queued job whose note reports its resource down goes back to PENDING instead of
        CANCELLED, to run when the resource is back: the returned status says which.
        ``attempt`` as for complete_job_with_result.
        """
        with self.connection() as conn:
            return JobStatus(transitions.cancel(conn, CIRCUIT, job_id, note, attempt))

    def cancel_hamiltonian_job(
        self, job_id: int, note: str | None, *, attempt: int | None = None
    ) -> JobStatus:
        """Cancel a PENDING or WAITING Hamiltonian job (never requeued); returns its new
        status, CANCELLED."""
        with self.connection() as conn:
            return JobStatus(transitions.cancel(conn, HAMILTONIAN, job_id, note, attempt))

    def fail_job(self, job_id: int, note: str | None, *, attempt: int | None = None) -> None:
        """A runner gives up on a WAITING circuit job: it becomes FAILED.

        ``attempt`` as for complete_job_with_result.
        """
        with self.connection() as conn:
            transitions.fail(conn, CIRCUIT, job_id, note, attempt)

    def fail_hamiltonian_job(
        self, job_id: int, note: str | None, *, attempt: int | None = None
    ) -> None:
        """A runner gives up on a WAITING Hamiltonian job: as fail_job."""
        with self.connection() as conn:
            transitions.fail(conn, HAMILTONIAN, job_id, note, attempt)

    def update_hybrid_job(
        self,
        job_id: int,
        epochs: int,
        params: str | None,
        parametric_circuit: str | None,
        note: str | None,
        *,
        attempt: int | None = None,
    ) -> None:
        """Store one epoch of a PENDING or WAITING hybrid Hamiltonian job (epochs, params,
        parametric circuit, note); its status stays as it is.

        ``attempt``: the claimed job's ``attempt``; with it, only the runner of that claim may
        update the job, as for the completions. JobNotFound for an unknown id,
        InvalidTransition if the job is neither PENDING nor WAITING.
        """
        with self.connection() as conn:
            transitions.update_hybrid(
                conn, job_id, epochs, params, parametric_circuit, note, attempt
            )

    # Keeping the queue healthy

    def requeue_stale_jobs(self, older_than: timedelta) -> RequeuedJobs:
        """Put jobs WAITING for longer than ``older_than`` back to PENDING; returns their ids.

        For jobs whose runner died after claiming them. The job's next claim gives it a new
        ``attempt``, so a late result of the old runner is refused (StaleAttempt).
        """
        with self.connection() as conn:
            return operations.requeue_stale_jobs(conn, older_than)

    def queue_stats(self) -> QueueStats:
        """Count the jobs by kind, status and resource, with the oldest pending job's age and
        the jobs the hold rule keeps back."""
        with self.connection() as conn:
            return operations.queue_stats(conn)

    def wait_for_pending_jobs(self, timeout: float) -> bool:
        """Block until a job is submitted (True) or ``timeout`` seconds pass (False).

        For a scheduler that would otherwise poll: it claims after each wake-up. A wake-up
        may come without a claimable job (another scheduler was faster).
        """
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 <= timeout <= MAX_WAIT
        ):
            raise InvalidArgument(
                f"timeout must be a number of seconds from 0 to {MAX_WAIT:g}, "
                f"not {check.shown(timeout)}"
            )
        with self._lock:
            self._require_open()
            self._forget_inherited()
            if self._state != "open" and self._pool is None:
                self._pool = open_pool(self._conninfo, self._settings)
            self._state = "open"
            if self._listener is None:
                self._listener = SubmissionListener(self._conninfo, self._settings)
            listener = self._listener
        return listener.wait(float(timeout))

    # Reads

    def fetch_by_identity(self, identity: str) -> list[CircuitJob]:
        """Every circuit job of ``identity``, by id; ``[]`` for an unknown identity."""
        with self.connection() as conn:
            return reads.by_identity(conn, identity)

    def fetch_by_identity_pages(
        self,
        identity: str,
        page: int,
        jobs_per_page: int,
        order: str,
        order_by: str | None,
        filter_query: str | None,
    ) -> DashboardPage:
        """One page of the dashboard's list of ``identity``'s circuit jobs.

        Args:
            identity: the owner.
            page: the page number, from 0.
            jobs_per_page: jobs on a page.
            order: "ASC" or "DESC" (any case).
            order_by: a job column to sort by (None: the id).
            filter_query: a status to list (any case; None or "": every status).

        Returns:
            ``{"jobs": [...], "totaljob_nr": n}``, n counting the matching jobs of every page.
        """
        with self.connection() as conn:
            return reads.page_by_identity(
                conn, identity, page, jobs_per_page, order, order_by, filter_query
            )

    def fetch_hamiltonian_job_by_identity(self, identity: str) -> list[HamiltonianJob]:
        """Every Hamiltonian job of ``identity``, by id; ``[]`` for an unknown identity."""
        with self.connection() as conn:
            return reads.hamiltonian_by_identity(conn, identity)

    def fetch_hamiltonian_job_by_task_id(self, task_id: int | str) -> list[HamiltonianJob]:
        """The Hamiltonian job with this id, as a list of zero or one (the old module's
        shape)."""
        with self.connection() as conn:
            return reads.hamiltonian_by_task_id(conn, task_id)

    def fetch_result_by_job_id_and_identity(
        self, job_id: int | str, identity: str
    ) -> CircuitJob | None:
        """The circuit job with this id if ``identity`` owns it, else None.

        None also for another user's job: a caller cannot learn that the id exists.
        """
        with self.connection() as conn:
            return reads.result_by_job_id_and_identity(conn, job_id, identity)

    def job_history(self, job_id: int | str, kind: str = "circuit") -> list[JobEvent]:
        """What happened to a job: every status change the event log holds, oldest first.

        Each event has the from and to status, the time, the note and the claim attempt.
        ``kind``: "circuit" or "hamiltonian"; ``[]`` for an id no job has.
        """
        with self.connection() as conn:
            return reads.job_history(conn, job_id, kind)

    def fetch_all_waiting_jobs(self) -> list[CircuitJob]:
        """Every WAITING circuit job, by id."""
        with self.connection() as conn:
            return reads.waiting(conn)

    def fetch_all_waiting_hamiltonian_jobs(self) -> list[HamiltonianJob]:
        """Every WAITING Hamiltonian job, by id."""
        with self.connection() as conn:
            return reads.waiting_hamiltonian(conn)
