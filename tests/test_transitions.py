"""Runners completing, cancelling and failing jobs: the state machine and its event log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from conftest import Portal, count_rows
from helpers import events, set_status, status_of, submit, submit_hamiltonian

import mqp_jobs
from mqp_jobs import (
    MAX_QUEUING_TIME,
    InvalidArgument,
    InvalidJob,
    InvalidQuery,
    InvalidTransition,
    JobNotFound,
    JobStore,
    StaleAttempt,
    UnknownResource,
)

STATUSES = ["PENDING", "WAITING", "COMPLETED", "CANCELLED", "FAILED"]

# transition name -> (statuses it may start from, status it ends in, how to call it)
CIRCUIT_MOVES: dict[str, tuple[set[str], str, Callable[[JobStore, int], None]]] = {
    "complete": (
        {"WAITING"},
        "COMPLETED",
        lambda s, i: s.complete_job_with_result(i, '{"00": 60}', "qpu-a", "qasm-out", "done"),
    ),
    "cancel": ({"PENDING", "WAITING"}, "CANCELLED", lambda s, i: s.cancel_job(i, "user asked")),
    "fail": ({"WAITING"}, "FAILED", lambda s, i: s.fail_job(i, "runner crashed")),
}
HAMILTONIAN_MOVES: dict[str, tuple[set[str], str, Callable[[JobStore, int], None]]] = {
    "complete": (
        {"WAITING"},
        "COMPLETED",
        lambda s, i: s.complete_hamiltonian_job_with_result(i, "-1.2", "qpu-a", "ansatz", "ok"),
    ),
    "cancel": (
        {"PENDING", "WAITING"},
        "CANCELLED",
        lambda s, i: s.cancel_hamiltonian_job(i, "resource offline"),
    ),
    "fail": ({"WAITING"}, "FAILED", lambda s, i: s.fail_hamiltonian_job(i, "diverged")),
    "hybrid update": (
        {"PENDING", "WAITING"},
        "",
        lambda s, i: s.update_hybrid_job(i, 3, "[0.1, 0.2]", "rx(theta) q[0];", "epoch 3"),
    ),
}


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("move", sorted(CIRCUIT_MOVES))
def test_circuit_transition_table(
    store: JobStore, portal: Portal, db: psycopg.Connection, start: str, move: str
) -> None:
    allowed, end, call = CIRCUIT_MOVES[move]
    job = submit(store, portal)
    set_status(db, "circuit_job", job.id, start)
    logged = len(events(db, "circuit", job.id))
    before = store.fetch_by_identity(portal.alice)
    if start in allowed:
        call(store, job.id)
        assert status_of(db, "circuit_job", job.id) == end
        assert events(db, "circuit", job.id)[-1][:2] == (start, end)
        assert len(events(db, "circuit", job.id)) == logged + 1
    else:
        with pytest.raises(InvalidTransition, match=start):
            call(store, job.id)
        assert store.fetch_by_identity(portal.alice) == before
        assert len(events(db, "circuit", job.id)) == logged


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("move", sorted(HAMILTONIAN_MOVES))
def test_hamiltonian_transition_table(
    store: JobStore, portal: Portal, db: psycopg.Connection, start: str, move: str
) -> None:
    allowed, end, call = HAMILTONIAN_MOVES[move]
    job = submit_hamiltonian(store, portal)
    set_status(db, "hamiltonian_job", job.id, start)
    before = store.fetch_hamiltonian_job_by_identity(portal.alice)
    if start in allowed:
        call(store, job.id)
        assert status_of(db, "hamiltonian_job", job.id) == (end or start)
    else:
        with pytest.raises(InvalidTransition, match=start):
            call(store, job.id)
        assert store.fetch_hamiltonian_job_by_identity(portal.alice) == before


@pytest.mark.parametrize("move", sorted(CIRCUIT_MOVES))
@pytest.mark.parametrize("job_id", [987654, 0, -1, 2**63, "987654"])
def test_changing_a_job_that_does_not_exist(
    store: JobStore, portal: Portal, move: str, job_id: object
) -> None:
    with pytest.raises(JobNotFound):
        CIRCUIT_MOVES[move][2](store, job_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("move", sorted(HAMILTONIAN_MOVES))
def test_changing_a_hamiltonian_job_that_does_not_exist(
    store: JobStore, portal: Portal, move: str
) -> None:
    with pytest.raises(JobNotFound):
        HAMILTONIAN_MOVES[move][2](store, 424242)


@pytest.mark.parametrize("job_id", [None, "seven", 1.5, True, [1], "1; DROP TABLE circuit_job"])
def test_a_malformed_job_id_is_refused(store: JobStore, portal: Portal, job_id: object) -> None:
    with pytest.raises(InvalidArgument):
        store.cancel_job(job_id, "note")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.complete_job_with_result(job_id, "r", "qpu-a", None)  # type: ignore[arg-type]


def _waiting_job(store: JobStore, portal: Portal, db: psycopg.Connection, **fields: object) -> int:
    job = submit(store, portal, **fields)
    set_status(db, "circuit_job", job.id, "WAITING")
    return job.id


def test_completion_stores_everything_and_a_retry_is_a_no_op(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job_id = _waiting_job(store, portal, db)
    store.complete_job_with_result(job_id, '{"00": 51}', portal.qpu, "transpiled", "fine")
    job = store.fetch_result_by_job_id_and_identity(job_id, portal.alice)
    assert job is not None
    assert (job.status, job.result, job.executed_resource, job.executed_circuit, job.note) == (
        "COMPLETED",
        '{"00": 51}',
        portal.qpu,
        "transpiled",
        "fine",
    )
    assert job.timestamp_completed is not None
    store.complete_job_with_result(job_id, '{"00": 51}', portal.qpu, "transpiled", "fine")
    assert store.fetch_result_by_job_id_and_identity(job_id, portal.alice) == job
    assert len(events(db, "circuit", job_id)) == 3  # created, WAITING (by hand), COMPLETED
    with pytest.raises(InvalidTransition, match="COMPLETED"):
        store.complete_job_with_result(job_id, '{"00": 52}', portal.qpu, "transpiled", "fine")


def test_an_empty_note_is_stored_as_absent(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job_id = _waiting_job(store, portal, db)
    store.complete_job_with_result(job_id, "r", portal.qpu, "", "")
    job = store.fetch_result_by_job_id_and_identity(job_id, portal.alice)
    assert job is not None and job.note == "" and job.executed_circuit == ""


@pytest.mark.parametrize("resource", ["qpu-not-installed", None, ""])
def test_completion_on_an_unknown_resource_is_refused(
    store: JobStore, portal: Portal, db: psycopg.Connection, resource: str | None
) -> None:
    job_id = _waiting_job(store, portal, db)
    with pytest.raises((UnknownResource, InvalidJob)):
        store.complete_job_with_result(job_id, "r", resource, None)  # type: ignore[arg-type]
    assert status_of(db, "circuit_job", job_id) == "WAITING"
    hjob = submit_hamiltonian(store, portal)
    set_status(db, "hamiltonian_job", hjob.id, "WAITING")
    with pytest.raises((UnknownResource, InvalidJob)):
        store.complete_hamiltonian_job_with_result(hjob.id, "r", resource, None)  # type: ignore[arg-type]
    assert status_of(db, "hamiltonian_job", hjob.id) == "WAITING"


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"result": 42}, InvalidJob),
        ({"note": b"x"}, InvalidJob),
        ({"executed_circuit": "a\x00b"}, InvalidJob),
    ],
)
def test_completion_with_malformed_fields_is_refused(
    store: JobStore, portal: Portal, db: psycopg.Connection, bad: dict, error: type
) -> None:
    job_id = _waiting_job(store, portal, db)
    fields = {"result": "r", "executed_resource": portal.qpu, "executed_circuit": None, "note": ""}
    fields.update(bad)
    with pytest.raises(error):
        store.complete_job_with_result(job_id, **fields)
    assert status_of(db, "circuit_job", job_id) == "WAITING"


# The requeue rule: a queued job whose runner reports its resource down goes back in line.
REQUEUE_NOTES = [
    ("resource offline", True),
    ("QPU OFFLINE since 10:00", True),
    ("scheduled Maintenance", True),
    ("backend down.", True),
    ("Down", True),
    ("result download failed", False),
    ("breakdown of the cryostat", False),
    ("offline_mode requested", False),
    ("user cancelled", False),
    ("", False),
]


@pytest.mark.parametrize(("note", "requeued"), REQUEUE_NOTES)
def test_cancel_requeues_a_queued_job_when_its_resource_is_down(
    store: JobStore, portal: Portal, db: psycopg.Connection, note: str, requeued: bool
) -> None:
    job_id = _waiting_job(store, portal, db, queued=True)
    store.cancel_job(job_id, note)
    job = store.fetch_result_by_job_id_and_identity(job_id, portal.alice)
    assert job is not None
    if requeued:
        assert job.status == "PENDING"
        assert job.timestamp_scheduled is None and job.timestamp_cancelled is not None
        assert events(db, "circuit", job_id)[-1] == ("WAITING", "PENDING", note)
    else:
        assert job.status == "CANCELLED"
        assert job.timestamp_cancelled is not None


def test_requeue_keeps_the_submission_time(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job_id = _waiting_job(store, portal, db, queued=True)
    submitted = store.fetch_by_identity(portal.alice)[0].timestamp_submitted
    store.cancel_job(job_id, "offline")
    assert store.fetch_by_identity(portal.alice)[0].timestamp_submitted == submitted


def test_a_job_that_is_not_queued_is_cancelled_even_when_offline(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job_id = _waiting_job(store, portal, db, queued=False)
    store.cancel_job(job_id, "resource offline")
    assert status_of(db, "circuit_job", job_id) == "CANCELLED"


@pytest.mark.parametrize(
    ("age", "requeued"), [(MAX_QUEUING_TIME - 60, True), (MAX_QUEUING_TIME + 60, False)]
)
def test_a_queued_job_past_the_queuing_window_is_cancelled(
    store: JobStore, portal: Portal, db: psycopg.Connection, age: int, requeued: bool
) -> None:
    job_id = _waiting_job(store, portal, db, queued=True)
    db.execute(
        "UPDATE circuit_job SET timestamp_submitted = now() - %s WHERE id = %s",
        (timedelta(seconds=age), job_id),
    )
    store.cancel_job(job_id, "maintenance")
    assert status_of(db, "circuit_job", job_id) == ("PENDING" if requeued else "CANCELLED")


def test_hamiltonian_jobs_are_never_requeued(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job = submit_hamiltonian(store, portal)
    set_status(db, "hamiltonian_job", job.id, "WAITING")
    store.cancel_hamiltonian_job(job.id, "resource offline")
    assert status_of(db, "hamiltonian_job", job.id) == "CANCELLED"


def test_hybrid_fields_and_executed_circuit_read_back_exactly(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job = submit_hamiltonian(store, portal)
    store.update_hybrid_job(job.id, 0, "[0.0]", "ry(t0) q[0];", "epoch 0")
    params = '{"theta": [0.125, -3.5e-7], "unicode": "θ"}'
    store.update_hybrid_job(job.id, 7, params, "ry(t0) q[0]; rz(t1) q[1];", "epoch 7")
    set_status(db, "hamiltonian_job", job.id, "WAITING")
    store.complete_hamiltonian_job_with_result(
        job.id, "-1.137", portal.qpu, "ry(0.1) q[0];", "converged"
    )
    [stored] = store.fetch_hamiltonian_job_by_task_id(job.id)
    assert (stored.epochs, stored.params, stored.parametric_circuit) == (
        7,
        params,
        "ry(t0) q[0]; rz(t1) q[1];",
    )
    assert (stored.result, stored.executed_resource, stored.executed_circuit, stored.note) == (
        "-1.137",
        portal.qpu,
        "ry(0.1) q[0];",
        "converged",
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": -1},
        {"epochs": True},
        {"epochs": "3"},
        {"epochs": 1.0},
        {"params": [0.1, 0.2]},
        {"parametric_circuit": 5},
        {"note": "a\x00"},
    ],
)
def test_a_malformed_hybrid_update_changes_nothing(
    store: JobStore, portal: Portal, db: psycopg.Connection, bad: dict
) -> None:
    job = submit_hamiltonian(store, portal)
    fields = {"epochs": 1, "params": "[1]", "parametric_circuit": "c", "note": "n"}
    fields.update(bad)
    with pytest.raises(InvalidJob):
        store.update_hybrid_job(job.id, **fields)
    assert store.fetch_hamiltonian_job_by_task_id(job.id) == [job]


def test_the_event_log_keeps_every_transition_and_is_append_only(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job_id = _waiting_job(store, portal, db, queued=True)
    store.cancel_job(job_id, "resource offline")  # requeued
    set_status(db, "circuit_job", job_id, "WAITING")
    store.complete_job_with_result(job_id, "r", portal.qpu, None, "done")
    assert events(db, "circuit", job_id) == [
        (None, "PENDING", ""),
        ("PENDING", "WAITING", ""),
        ("WAITING", "PENDING", "resource offline"),
        ("PENDING", "WAITING", "resource offline"),
        ("WAITING", "COMPLETED", "done"),
    ]
    with pytest.raises(psycopg.errors.RaiseException):
        db.execute("DELETE FROM job_event")
    assert count_rows(db, "job_event") == 5


def test_many_completions_in_one_call(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    ids = [_waiting_job(store, portal, db) for _ in range(5)]
    batch = [
        {"job_id": job_id, "result": f"r{n}", "executed_resource": portal.qpu, "note": "ok"}
        for n, job_id in enumerate(ids)
    ]
    store.complete_jobs_with_results(batch)
    jobs = store.fetch_by_identity(portal.alice)
    assert [(j.status, j.result, j.executed_circuit) for j in jobs] == [
        ("COMPLETED", f"r{n}", "") for n in range(5)
    ]
    store.complete_jobs_with_results(batch)  # a retried batch is a no-op
    assert store.fetch_by_identity(portal.alice) == jobs
    store.complete_jobs_with_results([])
    hjob = submit_hamiltonian(store, portal)
    set_status(db, "hamiltonian_job", hjob.id, "WAITING")
    store.complete_hamiltonian_jobs_with_results(
        [{"job_id": hjob.id, "executed_resource": "qpu-a"}]
    )
    assert status_of(db, "hamiltonian_job", hjob.id) == "COMPLETED"


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        ({"job_id": 99999}, JobNotFound),
        ({"executed_resource": "qpu-not-installed"}, UnknownResource),
        ({"executed_resource": None}, UnknownResource),
        ({"result": 5}, InvalidJob),
        ({"colour": "red"}, InvalidJob),
        ("pending job", InvalidTransition),
        ("twice", InvalidJob),
    ],
)
def test_one_refused_completion_completes_none(
    store: JobStore, portal: Portal, db: psycopg.Connection, spoil: object, error: type
) -> None:
    ids = [_waiting_job(store, portal, db) for _ in range(4)]
    batch: list[dict[str, object]] = [
        {"job_id": job_id, "result": "r", "executed_resource": portal.qpu} for job_id in ids
    ]
    if spoil == "pending job":
        batch[2]["job_id"] = submit(store, portal).id
    elif spoil == "twice":
        batch[2]["job_id"] = ids[0]
    else:
        batch[2].update(spoil)  # type: ignore[arg-type]
    with pytest.raises(error):
        store.complete_jobs_with_results(batch)
    assert [status_of(db, "circuit_job", job_id) for job_id in ids] == ["WAITING"] * 4


@pytest.mark.parametrize("completions", [None, "x", {"job_id": 1}, [1]])
def test_a_malformed_batch_of_completions_is_refused(store: JobStore, completions: object) -> None:
    with pytest.raises(InvalidJob):
        store.complete_jobs_with_results(completions)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("job_id", "note", "error"),
    [
        (None, "x", InvalidArgument),
        ("abc", "x", InvalidArgument),
        (True, "x", InvalidArgument),
        (424242, "x", JobNotFound),
        ("valid", 7, InvalidJob),
        ("valid", b"bytes", InvalidJob),
        ("valid", "nul\x00", InvalidJob),
    ],
)
def test_failing_with_bad_arguments_changes_nothing(
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    job_id: object,
    note: object,
    error: type,
) -> None:
    waiting = _waiting_job(store, portal, db)
    hjob = submit_hamiltonian(store, portal)
    set_status(db, "hamiltonian_job", hjob.id, "WAITING")
    with pytest.raises(error):
        store.fail_job(waiting if job_id == "valid" else job_id, note)  # type: ignore[arg-type]
    with pytest.raises(error):
        store.fail_hamiltonian_job(hjob.id if job_id == "valid" else job_id, note)  # type: ignore[arg-type]
    assert status_of(db, "circuit_job", waiting) == "WAITING"
    assert status_of(db, "hamiltonian_job", hjob.id) == "WAITING"


def test_a_stale_runner_is_fenced_off_by_its_claims_attempt(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    """A runner that was slow, not dead: its job was requeued and claimed by another runner.
    The slow runner's late result and failure are refused; the current runner's stand."""
    submit(store, portal)
    [first] = store.claim_jobs()
    assert first.attempt == 1
    assert store.requeue_stale_jobs(timedelta(0)).circuit == [first.id]
    [second] = store.claim_jobs()
    assert (second.id, second.attempt) == (first.id, 2)
    with pytest.raises(StaleAttempt, match="claim 1 is no longer the job's"):
        store.complete_job_with_result(first.id, "stale", portal.qpu, "c", attempt=first.attempt)
    with pytest.raises(StaleAttempt):
        store.fail_job(first.id, "stale runner gives up", attempt=first.attempt)
    with pytest.raises(StaleAttempt):
        store.complete_jobs_with_results(
            [{"job_id": first.id, "executed_resource": portal.qpu, "attempt": 1}]
        )
    assert status_of(db, "circuit_job", first.id) == "WAITING"
    store.complete_job_with_result(second.id, "fresh", portal.qpu, "c", attempt=second.attempt)
    # A retry by the current runner is a no-op; by the stale one, still refused.
    store.complete_job_with_result(second.id, "fresh", portal.qpu, "c", attempt=second.attempt)
    with pytest.raises(StaleAttempt):
        store.complete_job_with_result(first.id, "fresh", portal.qpu, "c", attempt=first.attempt)
    job = store.fetch_result_by_job_id_and_identity(first.id, portal.alice)
    assert job is not None and (job.status, job.result, job.attempt) == ("COMPLETED", "fresh", 2)
    assert db.execute(
        "SELECT from_status, to_status, attempt FROM job_event"
        " WHERE job_kind = 'circuit' AND job_id = %s ORDER BY id",
        (first.id,),
    ).fetchall() == [
        (None, "PENDING", 0),
        ("PENDING", "WAITING", 1),
        ("WAITING", "PENDING", 1),
        ("PENDING", "WAITING", 2),
        ("WAITING", "COMPLETED", 2),
    ]


def test_a_runner_of_a_requeued_job_not_yet_claimed_again_is_fenced_off(
    store: JobStore, portal: Portal
) -> None:
    submit(store, portal)
    [job] = store.claim_jobs()
    store.requeue_stale_jobs(timedelta(0))
    with pytest.raises(StaleAttempt, match="put back in line"):
        store.complete_job_with_result(job.id, "late", portal.qpu, "c", attempt=job.attempt)
    # Without an attempt, the old signature keeps the old rule: only the status decides.
    with pytest.raises(InvalidTransition):
        store.complete_job_with_result(job.id, "late", portal.qpu, "c")


def test_hamiltonian_claims_are_fenced_too(store: JobStore, portal: Portal) -> None:
    submit_hamiltonian(store, portal)
    [first] = store.fetch_all_pending_hamiltonian_jobs()
    store.requeue_stale_jobs(timedelta(0))
    [second] = store.fetch_all_pending_hamiltonian_jobs()
    with pytest.raises(StaleAttempt):
        store.complete_hamiltonian_job_with_result(first.id, "r", portal.qpu, "c", attempt=1)
    with pytest.raises(StaleAttempt):
        store.fail_hamiltonian_job(first.id, "gave up", attempt=1)
    store.fail_hamiltonian_job(second.id, "gave up", attempt=second.attempt)


@pytest.mark.parametrize("attempt", [-1, "1", 1.0, True, 2**40])
def test_a_malformed_attempt_is_refused(store: JobStore, portal: Portal, attempt: object) -> None:
    submit(store, portal)
    [job] = store.claim_jobs()
    with pytest.raises(InvalidJob):
        store.complete_job_with_result(job.id, "r", portal.qpu, "c", attempt=attempt)  # type: ignore[arg-type]
    with pytest.raises(InvalidJob):
        store.fail_job(job.id, "n", attempt=attempt)  # type: ignore[arg-type]
    [still] = store.fetch_all_waiting_jobs()
    assert still.status == "WAITING"


def test_support_can_answer_what_happened_to_a_job(store: JobStore, portal: Portal) -> None:
    job = submit(store, portal, queued=True)
    store.claim_jobs()
    store.cancel_job(job.id, "QPU offline")  # requeued
    [again] = store.claim_jobs()
    store.complete_job_with_result(job.id, "r", portal.qpu, "c", attempt=again.attempt)
    history = store.job_history(job.id)
    assert [(e.from_status, e.to_status, e.attempt) for e in history] == [
        (None, "PENDING", 0),
        ("PENDING", "WAITING", 1),
        ("WAITING", "PENDING", 1),
        ("PENDING", "WAITING", 2),
        ("WAITING", "COMPLETED", 2),
    ]
    assert history[2].note == "QPU offline"
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert mqp_jobs.job_history is not None
    assert store.job_history(str(job.id)) == history
    assert store.job_history(job.id, "hamiltonian") == []
    assert store.job_history(10**30) == [] and store.job_history("x") == []
    with pytest.raises(InvalidQuery):
        store.job_history(job.id, "quantum")


def test_a_stale_runner_can_neither_cancel_nor_update_a_claim_that_is_no_longer_its(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    submit(store, portal, queued=True)
    [first] = store.claim_jobs()
    store.requeue_stale_jobs(timedelta(0))
    [second] = store.claim_jobs()
    with pytest.raises(StaleAttempt):
        store.cancel_job(first.id, "qpu offline", attempt=first.attempt)
    assert status_of(db, "circuit_job", first.id) == "WAITING"
    store.complete_job_with_result(second.id, "r", portal.qpu, "c", attempt=second.attempt)
    hjob = submit_hamiltonian(store, portal)
    [h1] = store.fetch_all_pending_hamiltonian_jobs()
    store.update_hybrid_job(hjob.id, 1, "[0.1]", "rx(t)", "epoch 1", attempt=h1.attempt)
    store.requeue_stale_jobs(timedelta(0))
    with pytest.raises(StaleAttempt, match="put back in line"):
        store.update_hybrid_job(hjob.id, 2, "[0.2]", "rx(t)", "epoch 2", attempt=h1.attempt)
    [h2] = store.fetch_all_pending_hamiltonian_jobs()
    with pytest.raises(StaleAttempt):
        store.cancel_hamiltonian_job(hjob.id, "stale", attempt=h1.attempt)
    store.update_hybrid_job(hjob.id, 2, "[0.2]", "rx(t)", "epoch 2", attempt=h2.attempt)
    [after] = store.fetch_hamiltonian_job_by_task_id(hjob.id)
    assert (after.epochs, after.params, after.status) == (2, "[0.2]", "WAITING")
