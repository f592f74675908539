"""Users submitting circuit and Hamiltonian jobs, and the mistakes they make doing it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
import pytest
from conftest import Portal, count_rows
from helpers import CIRCUIT, events, submit

from mqp_jobs import (
    BudgetNotAllowed,
    InvalidJob,
    JobStatus,
    JobStore,
    MqpJobsError,
    UnknownBudget,
    UnknownOwner,
    UnknownTargetSpec,
)


def test_a_new_circuit_job_is_pending_with_zero_cost(store: JobStore, portal: Portal) -> None:
    before = datetime.now()
    job = submit(store, portal, queued=True, no_modify=True)
    assert job.status == JobStatus.PENDING == "PENDING"
    assert (job.shots, job.circuit, job.circuit_format) == (100, CIRCUIT, "qasm2")
    assert (job.owner, job.budget, job.target_specification) == (
        portal.alice,
        portal.alice_budget,
        portal.qpu_target,
    )
    assert job.queued and job.no_modify
    assert job.cost == 0
    assert job.note == "" and job.result == "" and job.executed_resource is None
    assert job.timestamp_submitted.tzinfo is None  # naive local time, as the portal stores it
    assert timedelta(0) <= datetime.now() - job.timestamp_submitted < timedelta(seconds=5)
    assert abs(job.timestamp_submitted - before) < timedelta(seconds=5)
    assert job.timestamp_scheduled is None
    # The old entities' attribute paths and their flat dict.
    assert job.owner.identity == portal.alice and job.budget.name == portal.alice_budget
    assert job.target_specification.name == portal.qpu_target
    assert job.target_specification.resource_name == portal.qpu
    assert isinstance(job.cost, int)
    flat = job.to_dict()
    assert flat["owner"] == portal.alice and type(flat["owner"]) is str
    assert flat["target_specification"] == portal.qpu_target
    assert flat["executed_resource"] is None and flat["token_usage"] is None
    assert flat["timestamp_submitted"] == job.timestamp_submitted and flat["note"] == ""


def test_a_member_may_charge_a_shared_budget(store: JobStore, portal: Portal) -> None:
    job = submit(store, portal, by=portal.bob, budget=portal.shared_budget)
    assert job.budget == portal.shared_budget


def test_each_submission_gets_its_own_id_and_a_creation_event(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    first, second = submit(store, portal), submit(store, portal)
    assert second.id > first.id
    assert events(db, "circuit", first.id) == [(None, "PENDING", "")]


def test_a_hamiltonian_job_is_pending(store: JobStore, portal: Portal) -> None:
    job = store.create_hamiltonian_job(
        "Z0 Z1", "[0.5]", portal.bob, portal.bob_budget, portal.sim_target
    )
    assert job.status == "PENDING"
    assert (job.interaction_str, job.coefficients_str) == ("Z0 Z1", "[0.5]")
    assert (job.epochs, job.params, job.executed_circuit) == (0, "", "")
    assert store.fetch_hamiltonian_job_by_identity(portal.bob) == [job]


REFUSED = [
    # (field overrides, expected error)
    ({"owner": "mallory"}, UnknownOwner),
    ({"budget": "no-such-grant"}, UnknownBudget),
    ({"budget": "bob-grant"}, BudgetNotAllowed),
    ({"target_spec": "no-such-target"}, UnknownTargetSpec),
    ({"owner": "mallory", "target_spec": "no-such-target"}, UnknownOwner),
    ({"shots": 0}, InvalidJob),
    ({"shots": -5}, InvalidJob),
    ({"shots": True}, InvalidJob),
    ({"shots": 10.5}, InvalidJob),
    ({"shots": "100"}, InvalidJob),
    ({"shots": 2**40}, InvalidJob),
    ({"circuit": ""}, InvalidJob),
    ({"circuit": "   "}, InvalidJob),
    ({"circuit": None}, InvalidJob),
    ({"circuit": b"OPENQASM"}, InvalidJob),
    ({"circuit": "OPENQASM\x00"}, InvalidJob),
    ({"circuit_format": ""}, InvalidJob),
    ({"owner": ""}, InvalidJob),
    ({"owner": None}, InvalidJob),
    ({"budget": 7}, InvalidJob),
    ({"target_spec": None}, InvalidJob),
    ({"queued": "yes"}, InvalidJob),
    ({"no_modify": 1}, InvalidJob),
]


@pytest.mark.parametrize(("overrides", "error"), REFUSED)
def test_a_refused_circuit_job_writes_nothing(
    store: JobStore, portal: Portal, db: psycopg.Connection, overrides: dict, error: type
) -> None:
    with pytest.raises(error) as caught:
        submit(store, portal, **overrides)
    assert isinstance(caught.value, MqpJobsError)
    assert count_rows(db, "circuit_job") == 0
    assert count_rows(db, "job_event") == 0


def test_errors_are_also_builtin_kinds(store: JobStore, portal: Portal) -> None:
    with pytest.raises(ValueError):
        submit(store, portal, shots=0)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("Z0", "[1]", "mallory", "bob-grant", "target-any-simulator"), UnknownOwner),
        (("Z0", "[1]", "bob", "nope", "target-any-simulator"), UnknownBudget),
        (("Z0", "[1]", "bob", "alice-grant", "target-any-simulator"), BudgetNotAllowed),
        (("Z0", "[1]", "bob", "bob-grant", "nope"), UnknownTargetSpec),
        (("", "[1]", "bob", "bob-grant", "target-any-simulator"), InvalidJob),
        (("Z0", None, "bob", "bob-grant", "target-any-simulator"), InvalidJob),
        (("Z0", 1.0, "bob", "bob-grant", "target-any-simulator"), InvalidJob),
    ],
)
def test_a_refused_hamiltonian_job_writes_nothing(
    store: JobStore, portal: Portal, db: psycopg.Connection, args: tuple, error: type
) -> None:
    with pytest.raises(error):
        store.create_hamiltonian_job(*args)
    assert count_rows(db, "hamiltonian_job") == 0


def test_plain_sql_insert_of_the_attributes_works(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    db.execute(
        "INSERT INTO circuit_job"
        " (shots, circuit, circuit_format, owner, budget, target_specification)"
        " VALUES (10, 'c', 'qasm2', 'alice', 'alice-grant', 'target-qpu-a')"
    )
    [job] = store.fetch_by_identity(portal.alice)
    assert job.status == "PENDING" and job.cost == 0 and not job.queued


def test_the_schema_refuses_what_the_contract_forbids(
    portal: Portal, db: psycopg.Connection
) -> None:
    insert = (
        "INSERT INTO circuit_job"
        " (shots, circuit, circuit_format, owner, budget, target_specification, status)"
        " VALUES (%s, 'c', 'qasm2', 'alice', 'alice-grant', 'target-qpu-a', %s)"
    )
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(insert, (0, "PENDING"))
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(insert, (1, "RUNNING"))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db.execute(
            "INSERT INTO circuit_job"
            " (shots, circuit, circuit_format, owner, budget, target_specification)"
            " VALUES (1, 'c', 'qasm2', 'mallory', 'alice-grant', 'target-qpu-a')"
        )


def _fields(portal: Portal, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "shots": 10,
        "circuit": CIRCUIT,
        "owner": portal.alice,
        "budget": portal.alice_budget,
        "target_spec": portal.qpu_target,
        "circuit_format": "qasm2",
    }
    fields.update(overrides)
    return fields


def test_a_batch_of_jobs_in_one_call(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    batch = [
        _fields(
            portal, shots=n + 1, queued=n % 2 == 0, owner=portal.bob, budget=portal.shared_budget
        )
        for n in range(50)
    ]
    jobs = store.create_jobs(batch)
    assert [j.shots for j in jobs] == list(range(1, 51))
    assert [j.queued for j in jobs] == [n % 2 == 0 for n in range(50)]
    assert [j.id for j in jobs] == sorted(j.id for j in jobs)
    assert all(j.status == "PENDING" and j.owner == portal.bob for j in jobs)
    assert count_rows(db, "job_event") == 50
    assert store.create_jobs([]) == []


@pytest.mark.parametrize(
    ("spoiled", "error", "message"),
    [
        ({"owner": "mallory"}, UnknownOwner, "job 3"),
        ({"budget": "bob-grant"}, BudgetNotAllowed, "job 3"),
        ({"target_spec": "nope"}, UnknownTargetSpec, "job 3"),
        ({"shots": 0}, InvalidJob, "job 3"),
        ({"colour": "blue"}, InvalidJob, "unknown fields"),
    ],
)
def test_one_bad_job_refuses_the_whole_batch(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    spoiled: dict,
    error: type,
    message: str,
) -> None:
    batch = [_fields(portal) for _ in range(6)]
    batch[3] = {**batch[3], **spoiled}
    with pytest.raises(error, match=message):
        store.create_jobs(batch)
    assert count_rows(db, "circuit_job") == 0


@pytest.mark.parametrize("jobs", [None, "jobs", {"shots": 1}, [1, 2], [{"shots": 1}]])
def test_a_malformed_batch_is_refused(store: JobStore, portal: Portal, jobs: object) -> None:
    with pytest.raises(InvalidJob):
        store.create_jobs(jobs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda f: {k: v for k, v in f.items() if k != "shots"}, "job 2: missing shots (a job"),
        (
            lambda f: {k: v for k, v in f.items() if k not in ("owner", "budget")},
            "job 2: missing owner, budget (a job",
        ),
        (lambda f: {**f, "colour": "blue"}, "job 2: unknown fields ['colour'] (a job"),
        (
            lambda f: {**{k: v for k, v in f.items() if k != "circuit"}, 7: "x"},
            "job 2: missing circuit; unknown fields [7] (a job",
        ),
    ],
)
def test_a_batch_entry_with_missing_or_unknown_fields_is_named_in_the_callers_words(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    spoil: Callable[[dict[object, object]], dict[object, object]],
    message: str,
) -> None:
    batch = [_fields(portal) for _ in range(4)]
    batch[2] = spoil(batch[2])
    with pytest.raises(InvalidJob) as refused:
        store.create_jobs(batch)
    shown = str(refused.value)
    assert shown.startswith(message), shown
    assert "needs shots, circuit, owner, budget, target_spec, circuit_format" in shown
    assert "may have no_modify and queued" in shown
    assert "_circuit_job_params" not in shown and "positional" not in shown
    assert count_rows(db, "circuit_job") == 0
