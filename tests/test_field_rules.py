"""A job field's rule says the same in Python (mqp_jobs.validation), in the database's row
triggers and in the adoption findings, and raises one error class whoever checks it."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable

import psycopg
import pytest
from conftest import Portal

from mqp_jobs import InvalidArgument, InvalidJob, InvalidQuery, JobStore
from mqp_jobs import validation as check
from mqp_jobs.models import JobStatus
from mqp_jobs.queries import query

WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
TEXTS = [
    "",
    " ",
    "\t\n",
    *WHITESPACE,  # each character Python calls whitespace, alone
    WHITESPACE,
    "\u00a0\u3000",
    # Not whitespace to Python, so not blank: invisible, but text.
    "\u200b",
    "\ufeff",
    "\u180e",
    "x",
    " x ",
    "\u00a0OPENQASM 2.0;",
]
_FINDINGS = query("adoption_findings")
_INSERT_CIRCUIT_JOB = (
    "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
    " target_specification, status) VALUES (%s, %s, %s, 'alice', 'alice-grant', 'target-qpu-a',"
    " %s)"
)


def _python_refuses(validator: Callable[[object], object], value: object) -> bool:
    try:
        validator(value)
    except InvalidJob:
        return True
    return False


def _trigger_refuses(db: psycopg.Connection, statement: str, params: tuple[object, ...]) -> bool:
    """Whether the row triggers refuse a plain INSERT (rolled back either way)."""
    try:
        with db.transaction(force_rollback=True):
            db.execute(statement, params)
    except psycopg.errors.CheckViolation:
        return True
    return False


def _findings(db: psycopg.Connection, statement: str, params: tuple[object, ...]) -> set[str]:
    """What adoption_findings reports about one row the portal wrote before the package's
    triggers existed (inserted with triggers off, rolled back)."""
    with db.transaction(force_rollback=True):
        db.execute("SET LOCAL session_replication_role = replica")
        db.execute(statement, params)
        return {rule for _table, rule, _rows in db.execute(_FINDINGS).fetchall()}


@pytest.mark.parametrize("value", TEXTS, ids=repr)
def test_blank_text_is_refused_alike_everywhere(
    db: psycopg.Connection, portal: Portal, value: str
) -> None:
    refused = _python_refuses(lambda v: check.job_text(v, "circuit"), value)
    assert refused == check.blank(value) == (not value.strip())
    assert db.execute("SELECT job_text_blank(%s)", (value,)).fetchone() == (refused,)
    for params, rule in (
        ((1, value, "qasm2", "PENDING"), "circuit is empty"),
        ((1, "c", value, "PENDING"), "circuit_format is empty"),
    ):
        assert _trigger_refuses(db, _INSERT_CIRCUIT_JOB, params) == refused
        assert (rule in _findings(db, _INSERT_CIRCUIT_JOB, params)) == refused
    hamiltonian = (
        "INSERT INTO hamiltonian_job (interaction_str, coefficients_str, owner, budget,"
        " target_specification) VALUES (%s, %s, 'alice', 'alice-grant', 'target-qpu-a')"
    )
    for params, rule in (
        ((value, "[1]"), "interaction_str is empty"),
        (("Z0", value), "coefficients_str is empty"),
    ):
        assert _trigger_refuses(db, hamiltonian, params) == refused
        assert (rule in _findings(db, hamiltonian, params)) == refused


@pytest.mark.parametrize("shots", [-(2**31), -1, 0, 1, 2**31 - 1])
def test_shots_that_are_not_positive_are_refused_alike_everywhere(
    db: psycopg.Connection, portal: Portal, shots: int
) -> None:
    refused = _python_refuses(check.shots, shots)
    assert refused == (shots <= 0)
    params = (shots, "c", "qasm2", "PENDING")
    assert _trigger_refuses(db, _INSERT_CIRCUIT_JOB, params) == refused
    assert ("shots is not positive" in _findings(db, _INSERT_CIRCUIT_JOB, params)) == refused


@pytest.mark.parametrize(
    "status", ["PENDING", "WAITING", "COMPLETED", "CANCELLED", "FAILED", "SUBMITTED", "pending", ""]
)
def test_an_unknown_status_is_refused_alike_everywhere(
    db: psycopg.Connection, portal: Portal, status: str
) -> None:
    known = status in {str(s) for s in JobStatus}
    assert db.execute("SELECT job_status_known(%s)", (status,)).fetchone() == (known,)
    params = (1, "c", "qasm2", status)
    assert _trigger_refuses(db, _INSERT_CIRCUIT_JOB, params) == (not known)
    reported = "status is not a known status" in _findings(db, _INSERT_CIRCUIT_JOB, params)
    assert reported == (not known)


def test_the_database_knows_exactly_the_statuses_of_job_status(db: psycopg.Connection) -> None:
    found = db.execute(
        "SELECT count(*) FILTER (WHERE job_status_known(s)) FROM unnest(%s::text[]) AS s",
        ([str(s) for s in JobStatus],),
    ).fetchone()
    assert found == (len(JobStatus),)
    definition = db.execute("SELECT prosrc FROM pg_proc WHERE proname = 'job_status_known'")
    [[source]] = definition.fetchall()
    assert sorted(s.strip(" '") for s in source.split("IN (")[1].split(")")[0].split(",")) == (
        sorted(str(s) for s in JobStatus)
    )


@pytest.mark.parametrize("epochs", [-1, 0, 3])
def test_negative_epochs_are_refused_alike_everywhere(
    db: psycopg.Connection, store: JobStore, portal: Portal, epochs: int
) -> None:
    job = store.create_hamiltonian_job("Z0", "[1]", "alice", "alice-grant", "target-qpu-a")
    refused = _python_refuses(check.epochs, epochs)
    assert refused == (epochs < 0)
    statement = "UPDATE hamiltonian_job SET epochs = %s WHERE id = %s"
    assert _trigger_refuses(db, statement, (epochs, job.id)) == refused


def test_a_bad_job_field_raises_invalid_job_whoever_checks_it(
    store: JobStore, portal: Portal
) -> None:
    job = store.create_job(10, "c", "alice", "alice-grant", "target-qpu-a", "qasm2")
    calls: list[Callable[[], object]] = [
        lambda: store.create_job(0, "c", "alice", "alice-grant", "target-qpu-a", "qasm2"),
        lambda: store.create_jobs([{**_fields(), "shots": 0}]),
        lambda: store.create_job(1, "\u00a0", "alice", "alice-grant", "target-qpu-a", "qasm2"),
        lambda: store.create_jobs([{**_fields(), "circuit": "\u3000"}]),
        lambda: store.create_job(1, "c", " ", "alice-grant", "target-qpu-a", "qasm2"),
        lambda: store.cancel_job(job.id, 5),  # type: ignore[arg-type]
        lambda: store.fail_job(job.id, 5),  # type: ignore[arg-type]
        lambda: store.complete_job_with_result(job.id, 5, "qpu-a", "c"),  # type: ignore[arg-type]
        lambda: store.complete_jobs_with_results([{"job_id": job.id, "executed_resource": " "}]),
    ]
    for call in calls:
        with pytest.raises(InvalidJob):
            call()


def _fields() -> dict[str, object]:
    return {
        "shots": 1,
        "circuit": "c",
        "owner": "alice",
        "budget": "alice-grant",
        "target_spec": "target-qpu-a",
        "circuit_format": "qasm2",
    }


def test_each_validator_raises_one_error_class() -> None:
    """No validator takes the error class from its caller."""
    public = [
        f
        for name, f in vars(check).items()
        if inspect.isfunction(f) and not name.startswith("_") and f.__module__ == check.__name__
    ]
    assert public
    for function in public:
        assert "error" not in inspect.signature(function).parameters, function.__name__
    assert issubclass(InvalidJob, InvalidArgument) and issubclass(InvalidQuery, InvalidArgument)
    with pytest.raises(InvalidQuery):
        check.page_count(-1, "page", maximum=10)
    with pytest.raises(InvalidArgument) as plain:
        check.text(" ", "resource name")
    assert type(plain.value) is InvalidArgument
