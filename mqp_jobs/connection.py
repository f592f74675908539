"""Connection pools and the errors a caller sees when the database cannot be reached."""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from mqp_jobs.errors import (
    Conflict,
    DatabaseUnavailable,
    InternalError,
    InvalidArgument,
    MqpJobsError,
    OperationTimedOut,
    SchemaMissing,
    ServerError,
    ValueTooLarge,
)
from mqp_jobs.queries import query
from mqp_jobs.validation import shown, text

ENV_URL = "MQP_DATABASE_URL"


@dataclass(frozen=True)
class PoolSettings:
    """How the package's own pools connect. Times are in seconds."""

    min_size: int = 1
    max_size: int = 8
    connect_timeout: float = 10.0
    statement_timeout: float = 60.0
    lock_timeout: float = 10.0
    idle_in_transaction_timeout: float = 60.0
    application_name: str = "mqp_jobs"

    def __post_init__(self) -> None:
        for name in ("min_size", "max_size"):
            size = getattr(self, name)
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 10_000:
                raise InvalidArgument(f"{name} must be an integer from 1 to 10000, not {size!r}")
        if self.min_size > self.max_size:
            raise InvalidArgument(f"min_size {self.min_size} is more than max_size {self.max_size}")
        for name in (
            "connect_timeout",
            "statement_timeout",
            "lock_timeout",
            "idle_in_transaction_timeout",
        ):
            seconds = getattr(self, name)
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, (int, float))
                or not 0 < seconds <= 86_400
            ):
                raise InvalidArgument(
                    f"{name} must be a number of seconds above 0 and at most 86400, not {seconds!r}"
                )
        text(self.application_name, "application_name")


PORTAL_ENV = ("QUANTUM_DB_USER", "QUANTUM_DB_PASS", "QUANTUM_DB_HOST")
PORTAL_DATABASE = "quantumdb"
"""The portal's services find their database by these variables and this name."""


def _portal_conninfo() -> str:
    """The portal's own settings, where any of $QUANTUM_DB_* is set; else ''."""
    user, password, host = (os.environ.get(name) for name in PORTAL_ENV)
    if not (user or password or host):
        return ""
    return make_conninfo(dbname=PORTAL_DATABASE, user=user, password=password, host=host)


def resolve_conninfo(conninfo: object) -> str:
    """The conninfo to use: the argument, else $MQP_DATABASE_URL, else the portal's own
    $QUANTUM_DB_USER/$QUANTUM_DB_PASS/$QUANTUM_DB_HOST with database quantumdb, else ''
    (libpq's defaults)."""
    if conninfo is not None and not isinstance(conninfo, str):
        raise InvalidArgument(f"a database URL must be a string, not {type(conninfo).__name__}")
    chosen = conninfo if conninfo is not None else os.environ.get(ENV_URL) or _portal_conninfo()
    try:
        chosen.encode()
        conninfo_to_dict(chosen)
    except (psycopg.ProgrammingError, UnicodeEncodeError) as exc:
        raise InvalidArgument(f"invalid database URL {shown(chosen)}: {exc}") from None
    return chosen


def describe(conninfo: str) -> str:
    """'host H port P database D user U', filling what the conninfo omits from libpq's defaults."""
    given = {key: str(value) for key, value in conninfo_to_dict(conninfo).items()}
    defaults = {
        option.keyword.decode(): option.val.decode()
        for option in pq.Conninfo.get_defaults()
        if option.val is not None
    }

    def pick(key: str, fallback: str) -> str:
        return given.get(key) or defaults.get(key) or fallback

    user = pick("user", os.environ.get("USER", "the current user"))
    host = given.get("host") or given.get("hostaddr") or defaults.get("host") or "local socket"
    return f"host {host} port {pick('port', '5432')} database {pick('dbname', user)} user {user}"


def unavailable(conninfo: str, reason: object) -> DatabaseUnavailable:
    """The error for a database that cannot be reached, naming what was tried."""
    detail = " ".join(str(reason).split()) or type(reason).__name__
    return DatabaseUnavailable(f"cannot reach PostgreSQL at {describe(conninfo)}: {detail}")


def probe(conninfo: str, timeout: float) -> psycopg.Error | None:
    """Why a direct connection fails, or None when it works."""
    try:
        psycopg.connect(conninfo, connect_timeout=max(1, round(timeout))).close()
    except psycopg.Error as exc:
        return exc
    return None


def _seconds_setting(seconds: float) -> str:
    return f"{max(0, round(seconds * 1000))}ms"


def open_pool(conninfo: str, settings: PoolSettings) -> ConnectionPool:
    """Open a pool and wait for its first connection; DatabaseUnavailable if none comes."""

    def configure(conn: psycopg.Connection) -> None:
        # Pinned: every transaction of the pool begins READ COMMITTED, whatever the server's,
        # database's or role's default, which a claim's second statement relies on.
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        conn.execute(
            query("apply_session_settings"),
            {
                "statement_timeout": _seconds_setting(settings.statement_timeout),
                "lock_timeout": _seconds_setting(settings.lock_timeout),
                "idle_in_transaction_timeout": _seconds_setting(
                    settings.idle_in_transaction_timeout
                ),
                "application_name": settings.application_name,
            },
        )
        conn.commit()

    pool = ConnectionPool(
        conninfo,
        min_size=settings.min_size,
        max_size=settings.max_size,
        timeout=settings.connect_timeout,
        kwargs={"connect_timeout": max(1, round(settings.connect_timeout))},
        configure=configure,
        check=ConnectionPool.check_connection,
        name="mqp_jobs",
        open=True,
    )
    try:
        pool.wait(timeout=settings.connect_timeout)
    except Exception as exc:
        pool.close()
        raise unavailable(conninfo, probe(conninfo, settings.connect_timeout) or exc) from None
    return pool


def is_timeout(exc: psycopg.Error) -> bool:
    """Whether a statement ran into statement_timeout or lock_timeout."""
    return isinstance(exc, (pg_errors.QueryCanceled, pg_errors.LockNotAvailable))


_CONNECTION_LOST = ("57P01", "57P02", "57P03")  # admin or crash shutdown, cannot connect now


def is_connection_error(exc: psycopg.Error) -> bool:
    """Whether an error means the connection, not the statement, failed: an OperationalError
    that the server did not answer with a code (the connection broke), a connection exception
    (class 08) or a shutdown. Timeouts, conflicts, program limits and the server's other
    refusals (out of disk, memory, connections) are answers, told apart by the caller."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _CONNECTION_LOST


def translate(exc: psycopg.Error, conninfo: str, broken: bool) -> MqpJobsError:
    """The package's error for a driver error raised inside a transaction that did not
    commit: what went wrong, and that nothing was changed."""
    text = " ".join(str(exc).split())
    if isinstance(exc, (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)):
        return Conflict(f"{text}; nothing was changed, the call may be retried")
    if isinstance(exc, pg_errors.ProgramLimitExceeded):
        return ValueTooLarge(f"a value is too large for the database: {text}")
    if is_timeout(exc):
        return OperationTimedOut(text)
    if broken or is_connection_error(exc):
        return unavailable(conninfo, exc)
    if isinstance(
        exc, (pg_errors.UndefinedTable, pg_errors.UndefinedColumn, pg_errors.UndefinedFunction)
    ):
        return SchemaMissing(
            f"{describe(conninfo)} has no complete mqp_jobs schema; run `mqp-jobs migrate` ({text})"
        )
    if isinstance(exc, pg_errors.InFailedSqlTransaction):
        return InvalidArgument(
            f"the caller's transaction was already aborted by an earlier error; roll it back "
            f"first ({text})"
        )
    if isinstance(exc, psycopg.OperationalError):
        return ServerError(f"the server could not carry the call out; nothing was changed: {text}")
    return InternalError(f"the database refused a statement of the package: {text}")
