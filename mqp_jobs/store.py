"""The repository: every public operation as one short method over a connection pool."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

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
)
from mqp_jobs.execute import Conn
from mqp_jobs.models import CircuitJob, HamiltonianJob, JobEvent, QueueStats, RequeuedJobs
from mqp_jobs.transitions import CIRCUIT, HAMILTONIAN
from mqp_jobs.wakeups import SubmissionListener

MAX_WAIT = 86400.0
"""The longest one wait_for_pending_jobs may block (a scheduler waits again after it)."""


class JobStore:
    """The job database over one pool: the caller's, or one opened on first use."""

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

    @property
    def conninfo(self) -> str:
        return self._conninfo

    def _forget_inherited(self) -> None:
        """In a forked child, drop the parent's connections unclosed: the child opens its own,
        and closing would break the parent's sockets. Called with the lock held."""
        if self._pid != os.getpid():
            self._listener, self._pid = None, os.getpid()
            if self._owns_pool:
                self._pool = None

    def _open(self) -> ConnectionPool:
        with self._lock:
            self._forget_inherited()
            if self._pool is None:
                self._pool = open_pool(self._conninfo, self._settings)
            return self._pool

    def close(self) -> None:
        """Close the pool if this store opened it; a caller's pool is left to the caller."""
        with self._lock:
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
        """
        pool = self._open()
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
        with self.connection() as conn:
            reference.create_user(conn, identity)

    def create_budget(self, name: str, owner: str, members: Iterable[str] = ()) -> None:
        with self.connection() as conn:
            reference.create_budget(conn, name, owner, members)

    def create_user_group(self, name: str, owner: str, members: Iterable[str] = ()) -> None:
        """A user group of ``owner`` with ``members``; BudgetNotAllowed if another owns it."""
        with self.connection() as conn:
            reference.create_user_group(conn, name, owner, members)

    def link_user_group_to_budget(self, user_group: str, budget: str) -> None:
        """Let the members of ``user_group`` charge ``budget``."""
        with self.connection() as conn:
            reference.link_user_group_to_budget(conn, user_group, budget)

    def create_resource(self, name: str, maintenance: bool = False) -> None:
        with self.connection() as conn:
            reference.create_resource(conn, name, maintenance)

    def set_resource_maintenance(self, name: str, maintenance: bool) -> None:
        with self.connection() as conn:
            reference.set_resource_maintenance(conn, name, maintenance)

    def create_target_spec(self, name: str, resource_name: str | None) -> None:
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
        with self.connection(autocommit=True) as conn:  # one guarded INSERT
            return submit.create_job(
                conn, shots, circuit, owner, budget, target_spec, circuit_format, no_modify, queued
            )

    def create_jobs(self, jobs: Iterable[Mapping[str, object]]) -> list[CircuitJob]:
        """Many circuit jobs in one statement: all, or none if any is refused."""
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
        with self.connection() as conn:
            return submit.create_hamiltonian_job(
                conn, interaction_str, coefficients_str, owner, budget, target_spec
            )

    # Claims

    def _claim(self, where: ClaimFilter, limit: int | None) -> list[CircuitJob]:
        with self.connection() as conn:
            # The package's own connections pin READ COMMITTED; a caller's pool is checked.
            return claims.claim_circuit_jobs(conn, where, limit, own_connection=self._owns_pool)

    def fetch_all_pending_jobs(self, *, limit: int | None = None) -> list[CircuitJob]:
        return self._claim(ClaimFilter(), limit)

    def fetch_all_pending_jobs_from_users(
        self, userids: Iterable[str], *, limit: int | None = None
    ) -> list[CircuitJob]:
        return self._claim(ClaimFilter.from_users(userids), limit)

    def fetch_all_pending_jobs_for_resource_from_users(
        self, resource: str, userids: Iterable[str], *, limit: int | None = None
    ) -> list[CircuitJob]:
        return self._claim(ClaimFilter.for_resource_from_users(resource, userids), limit)

    def fetch_all_pending_jobs_for_resource_not_from_users(
        self, resource: str, userids: Iterable[str], *, limit: int | None = None
    ) -> list[CircuitJob]:
        return self._claim(ClaimFilter.for_resource_not_from_users(resource, userids), limit)

    def fetch_all_pending_jobs_except_for_resources(
        self, resources: Iterable[str], *, limit: int | None = None
    ) -> list[CircuitJob]:
        return self._claim(ClaimFilter.except_for_resources(resources), limit)

    def fetch_all_pending_jobs_except_for_resource_not_from_users(
        self, resource: str, userids: Iterable[str], *, limit: int | None = None
    ) -> list[CircuitJob]:
        return self._claim(ClaimFilter.except_for_resource_not_from_users(resource, userids), limit)

    def fetch_all_pending_hamiltonian_jobs(
        self, *, limit: int | None = None
    ) -> list[HamiltonianJob]:
        with self.connection() as conn:
            return claims.claim_hamiltonian_jobs(conn, limit)

    @staticmethod
    def filter_queued_if_offline_and_fetch(
        qdb: Conn, jobs: Iterable[CircuitJob]
    ) -> list[CircuitJob]:
        return claims.filter_queued_if_offline_and_fetch(qdb, jobs)

    @staticmethod
    def is_within_active_job_limit(qdb: Conn, job: CircuitJob) -> bool:
        return claims.is_within_active_job_limit(qdb, job)

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
        """Store a WAITING circuit job's result (→ COMPLETED). ``attempt``: the claimed job's
        ``attempt``, so that a runner whose claim was requeued and claimed again is refused
        (StaleAttempt) instead of storing a stale result."""
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
        """As complete_job_with_result, for a Hamiltonian job."""
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

    def complete_jobs_with_results(self, completions: Iterable[Mapping[str, object]]) -> None:
        """Complete many WAITING circuit jobs in one statement: all, or none on any refusal.
        Each mapping: job_id, executed_resource, and optionally result, executed_circuit, note,
        attempt."""
        with self.connection() as conn:
            transitions.complete_many(conn, CIRCUIT, completions)

    def complete_hamiltonian_jobs_with_results(
        self, completions: Iterable[Mapping[str, object]]
    ) -> None:
        """As complete_jobs_with_results, for Hamiltonian jobs."""
        with self.connection() as conn:
            transitions.complete_many(conn, HAMILTONIAN, completions)

    def cancel_job(self, job_id: int, note: str | None, *, attempt: int | None = None) -> None:
        """Cancel a PENDING or WAITING circuit job, or put a queued one whose resource the note
        reports down back in line; ``attempt`` as for complete_job_with_result."""
        with self.connection() as conn:
            transitions.cancel(conn, CIRCUIT, job_id, note, attempt)

    def cancel_hamiltonian_job(
        self, job_id: int, note: str | None, *, attempt: int | None = None
    ) -> None:
        """Cancel a PENDING or WAITING Hamiltonian job (never requeued)."""
        with self.connection() as conn:
            transitions.cancel(conn, HAMILTONIAN, job_id, note, attempt)

    def fail_job(self, job_id: int, note: str | None, *, attempt: int | None = None) -> None:
        """A runner gives up on a WAITING circuit job (→ FAILED); ``attempt`` as for
        complete_job_with_result."""
        with self.connection() as conn:
            transitions.fail(conn, CIRCUIT, job_id, note, attempt)

    def fail_hamiltonian_job(
        self, job_id: int, note: str | None, *, attempt: int | None = None
    ) -> None:
        """As fail_job, for a Hamiltonian job."""
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
        """Store one epoch of a hybrid Hamiltonian job; ``attempt`` as for the completions."""
        with self.connection() as conn:
            transitions.update_hybrid(
                conn, job_id, epochs, params, parametric_circuit, note, attempt
            )

    # Keeping the queue healthy

    def requeue_stale_jobs(self, older_than: timedelta) -> RequeuedJobs:
        with self.connection() as conn:
            return operations.requeue_stale_jobs(conn, older_than)

    def queue_stats(self) -> QueueStats:
        with self.connection() as conn:
            return operations.queue_stats(conn)

    def wait_for_pending_jobs(self, timeout: float) -> bool:
        """Block until a job is submitted (True) or ``timeout`` seconds pass (False)."""
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
            self._forget_inherited()
            if self._listener is None:
                self._listener = SubmissionListener(self._conninfo, self._settings)
            listener = self._listener
        return listener.wait(float(timeout))

    # Reads

    def fetch_by_identity(self, identity: str) -> list[CircuitJob]:
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
    ) -> dict[str, Any]:
        with self.connection() as conn:
            return reads.page_by_identity(
                conn, identity, page, jobs_per_page, order, order_by, filter_query
            )

    def fetch_hamiltonian_job_by_identity(self, identity: str) -> list[HamiltonianJob]:
        with self.connection() as conn:
            return reads.hamiltonian_by_identity(conn, identity)

    def fetch_hamiltonian_job_by_task_id(self, task_id: int | str) -> list[HamiltonianJob]:
        with self.connection() as conn:
            return reads.hamiltonian_by_task_id(conn, task_id)

    def fetch_result_by_job_id_and_identity(
        self, job_id: int | str, identity: str
    ) -> CircuitJob | None:
        with self.connection() as conn:
            return reads.result_by_job_id_and_identity(conn, job_id, identity)

    def job_history(self, job_id: int | str, kind: str = "circuit") -> list[JobEvent]:
        """What happened to a job: every status change the event log holds, oldest first
        (from and to status, time, note, claim attempt). ``kind``: "circuit" or
        "hamiltonian"; ``[]`` for an id no job has."""
        with self.connection() as conn:
            return reads.job_history(conn, job_id, kind)

    def fetch_all_waiting_jobs(self) -> list[CircuitJob]:
        with self.connection() as conn:
            return reads.waiting(conn)

    def fetch_all_waiting_hamiltonian_jobs(self) -> list[HamiltonianJob]:
        with self.connection() as conn:
            return reads.waiting_hamiltonian(conn)
