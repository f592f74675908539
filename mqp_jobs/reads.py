"""Reading jobs: by owner, by page for the dashboard, by id, and the WAITING lists."""

from __future__ import annotations

from dataclasses import fields

from psycopg import sql

from mqp_jobs import validation as check
from mqp_jobs.errors import InvalidArgument, InvalidQuery
from mqp_jobs.execute import Conn, integer, rows
from mqp_jobs.models import CircuitJob, DashboardPage, HamiltonianJob, JobEvent
from mqp_jobs.queries import query

_FETCH_BY_IDENTITY = query("fetch_by_identity")
_FETCH_HAMILTONIAN_BY_IDENTITY = query("fetch_hamiltonian_job_by_identity")
_FETCH_RESULT = query("fetch_result_by_job_id_and_identity")
_GET_HAMILTONIAN_JOB = query("get_hamiltonian_job")
_COUNT_BY_IDENTITY = query("count_by_identity")
_COUNT_BY_IDENTITY_AND_STATUS = query("count_by_identity_and_status")
_PAGE = sql.SQL(query("fetch_by_identity_page"))
_WAITING = query("fetch_all_waiting_jobs")
_JOB_EVENTS = query("job_events")
_JOB_KINDS = ("circuit", "hamiltonian")
_WAITING_HAMILTONIAN = query("fetch_all_waiting_hamiltonian_jobs")

MAX_JOBS_PER_PAGE = 1000

PAGE_ORDER_COLUMNS = {
    f.name: sql.Identifier(f.name)
    for f in fields(CircuitJob)
    if f.name != "token_usage"  # read from the token module's table, not a job column
}
"""Columns a dashboard page may be sorted by: every column of the job table, by its own name
(any case); ``date`` is an alias of timestamp_submitted."""

_DIRECTIONS = {"ASC": sql.SQL("ASC"), "DESC": sql.SQL("DESC")}


def _identity(identity: object) -> str | None:
    """The identity to look up, or None when no user can have it (empty, or text PostgreSQL
    cannot hold: NUL characters, unpaired surrogates)."""
    if not isinstance(identity, str):
        raise InvalidQuery(f"identity must be a string, not {type(identity).__name__}")
    return identity if identity and check.storable(identity) else None


def by_identity(conn: Conn, identity: str) -> list[CircuitJob]:
    owner = _identity(identity)
    return [] if owner is None else rows(conn, _FETCH_BY_IDENTITY, {"identity": owner}, CircuitJob)


def hamiltonian_by_identity(conn: Conn, identity: str) -> list[HamiltonianJob]:
    owner = _identity(identity)
    if owner is None:
        return []
    return rows(conn, _FETCH_HAMILTONIAN_BY_IDENTITY, {"identity": owner}, HamiltonianJob)


def _lookup_id(job_id: object) -> int | None:
    """The id to look up, or None when the value cannot name a job."""
    try:
        return check.job_id(job_id)
    except InvalidArgument:
        return None


def result_by_job_id_and_identity(conn: Conn, job_id: object, identity: str) -> CircuitJob | None:
    number, owner = _lookup_id(job_id), _identity(identity)
    if number is None or owner is None:
        return None
    found = rows(conn, _FETCH_RESULT, {"job_id": number, "identity": owner}, CircuitJob)
    return found[0] if found else None


def hamiltonian_by_task_id(conn: Conn, task_id: object) -> list[HamiltonianJob]:
    number = _lookup_id(task_id)
    if number is None:
        return []
    return rows(conn, _GET_HAMILTONIAN_JOB, {"job_id": number}, HamiltonianJob)


def _order_column(order_by: object) -> sql.Identifier:
    if order_by is None or order_by == "":
        return PAGE_ORDER_COLUMNS["id"]
    if not isinstance(order_by, str):
        raise InvalidQuery(f"order_by must be a column name, not {type(order_by).__name__}")
    name = "timestamp_submitted" if order_by.strip().lower() == "date" else order_by.strip().lower()
    if name not in PAGE_ORDER_COLUMNS:
        allowed = ", ".join(["date", *PAGE_ORDER_COLUMNS])
        raise InvalidQuery(f"order_by must be one of {allowed}; got {check.shown(order_by)}")
    return PAGE_ORDER_COLUMNS[name]


def _direction(order: object) -> sql.SQL:
    if order is None or order == "":
        return _DIRECTIONS["ASC"]
    key = order.strip().upper() if isinstance(order, str) else None
    if key not in _DIRECTIONS:
        raise InvalidQuery(f"order must be 'ASC' or 'DESC', not {check.shown(order)}")
    return _DIRECTIONS[key]


def _status_filter(filter_query: object) -> str | None:
    """The status to list (any case), None for all. Any string is compared as a bound value,
    so one no job has (the dashboard's ``SUBMITTED``) lists nothing, as before; so does text
    PostgreSQL cannot hold (NUL characters, unpaired surrogates), which no row has."""
    if filter_query is None or filter_query == "":
        return None
    if not isinstance(filter_query, str):
        raise InvalidQuery(
            f"filter_query must be a status or empty, not {check.shown(filter_query)}"
        )
    return filter_query.strip().upper()


def page_by_identity(
    conn: Conn,
    identity: str,
    page: int,
    jobs_per_page: int,
    order: str,
    order_by: str | None,
    filter_query: str | None,
) -> DashboardPage:
    """One dashboard page: ``{"jobs": [...], "totaljob_nr": n}``, n counting every page."""
    size = check.page_count(jobs_per_page, "jobs_per_page", maximum=MAX_JOBS_PER_PAGE)
    number = check.page_count(page, "page", maximum=2**62 // MAX_JOBS_PER_PAGE)
    statement = _PAGE.format(order_by=_order_column(order_by), direction=_direction(order))
    params = {"identity": _identity(identity), "status": _status_filter(filter_query)}
    status = params["status"]
    if params["identity"] is None or (status is not None and not check.storable(status)):
        return {"jobs": [], "totaljob_nr": 0}
    count = _COUNT_BY_IDENTITY if params["status"] is None else _COUNT_BY_IDENTITY_AND_STATUS
    total = integer(conn, count, params)
    jobs = rows(conn, statement, {**params, "limit": size, "offset": number * size}, CircuitJob)
    return {"jobs": jobs, "totaljob_nr": total}


def waiting(conn: Conn) -> list[CircuitJob]:
    return rows(conn, _WAITING, {}, CircuitJob)


def waiting_hamiltonian(conn: Conn) -> list[HamiltonianJob]:
    return rows(conn, _WAITING_HAMILTONIAN, {}, HamiltonianJob)


def job_history(conn: Conn, job_id: object, kind: object = "circuit") -> list[JobEvent]:
    """Every recorded change of one job, oldest first: ``[]`` for an id no job has."""
    if kind not in _JOB_KINDS:
        raise InvalidQuery(f"kind must be 'circuit' or 'hamiltonian', not {check.shown(kind)}")
    number = _lookup_id(job_id)
    if number is None:
        return []
    return rows(conn, _JOB_EVENTS, {"job_kind": kind, "job_id": number}, JobEvent)
