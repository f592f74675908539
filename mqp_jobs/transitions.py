"""Status changes after a claim: complete, cancel (or requeue), fail, hybrid updates.

Each change is one UPDATE whose WHERE names the statuses it may start from (taken from the
state machine's table in ``mqp_jobs.states``), so a forbidden transition changes nothing; only
when it matched no row is the job read again, to tell a missing job from a job in the wrong
status. The event log is written by the tables' triggers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import LiteralString

from psycopg import errors as pg_errors

from mqp_jobs import validation as check
from mqp_jobs.clock import portal_zone
from mqp_jobs.errors import (
    InvalidArgument,
    InvalidJob,
    InvalidTransition,
    JobNotFound,
    StaleAttempt,
    UnknownResource,
)
from mqp_jobs.execute import Conn, Params, column, row, rows, value
from mqp_jobs.models import CircuitJob, HamiltonianJob
from mqp_jobs.queries import query
from mqp_jobs.rules import MAX_QUEUING_TIME, reports_resource_down
from mqp_jobs.states import CANCEL, COMPLETE, FAIL, REQUEUE, UPDATE_HYBRID, Transition


@dataclass(frozen=True)
class JobKind:
    name: str
    get: LiteralString
    get_many: LiteralString
    model: type[CircuitJob] | type[HamiltonianJob]


CIRCUIT = JobKind("circuit", query("get_circuit_job"), query("get_circuit_jobs"), CircuitJob)
HAMILTONIAN = JobKind(
    "hamiltonian", query("get_hamiltonian_job"), query("get_hamiltonian_jobs"), HamiltonianJob
)

_COMPLETE = {CIRCUIT: query("complete_job"), HAMILTONIAN: query("complete_hamiltonian_job")}
_COMPLETE_MANY = {CIRCUIT: query("complete_jobs"), HAMILTONIAN: query("complete_hamiltonian_jobs")}
_CANCEL = {CIRCUIT: query("cancel_job"), HAMILTONIAN: query("cancel_hamiltonian_job")}
_FAIL = {CIRCUIT: query("fail_job"), HAMILTONIAN: query("fail_hamiltonian_job")}
_UPDATE_HYBRID_JOB = query("update_hybrid_job")
_UNKNOWN_RESOURCES = query("unknown_resources")
_COMPLETION_FIELDS = ("result", "executed_resource", "executed_circuit", "note")
_COMPLETION_KEYS = frozenset({"job_id", "attempt", *_COMPLETION_FIELDS})


def existing_id(job_id: object, kind: JobKind) -> int:
    """The job id as an int; JobNotFound for an id no job can have."""
    number = check.job_id(job_id)
    if number is None:
        raise JobNotFound(f"no {kind.name} job {check.shown(job_id)}")
    return number


def get(conn: Conn, kind: JobKind, job_id: int) -> CircuitJob | HamiltonianJob | None:
    return row(conn, kind.get, {"job_id": job_id}, kind.model)


def _refused(
    conn: Conn, kind: JobKind, job_id: int, transition: Transition, attempt: int | None = None
) -> Exception:
    """The error for a guarded UPDATE that matched nothing: a missing job, a runner whose claim
    is no longer the job's, or a wrong status."""
    job = get(conn, kind, job_id)
    if job is None:
        return JobNotFound(f"no {kind.name} job {job_id}")
    return _wrong_state(kind, job, transition, attempt)


def _wrong_state(
    kind: JobKind,
    job: CircuitJob | HamiltonianJob,
    transition: Transition,
    attempt: int | None,
    allowed: str | None = None,
) -> InvalidTransition:
    """The error for a job whose status (or claim) the transition does not start from.
    ``allowed``: the statuses in words, where more than the table's are accepted."""
    action = transition.action
    if attempt is not None and job.attempt != attempt:
        return StaleAttempt(
            f"{kind.name} job {job.id} is {job.status} at claim {job.attempt}; this runner's "
            f"claim {attempt} is no longer the job's (it was requeued), so {action} is refused"
        )
    if attempt is not None and job.status == REQUEUE.to_status:
        return StaleAttempt(
            f"{kind.name} job {job.id} was put back in line after this runner's claim "
            f"{attempt}, so {action} is refused"
        )
    return InvalidTransition(
        f"{kind.name} job {job.id} is {job.status}; {action} needs it {allowed or transition.needs}"
    )


def _change(
    conn: Conn,
    kind: JobKind,
    statement: LiteralString,
    job_id: int,
    fields: Params,
    transition: Transition,
) -> object:
    """Run one guarded UPDATE of job ``job_id`` returning one column; raise when it matched
    nothing."""
    params = {"job_id": job_id, "zone": portal_zone(), **transition.params, **fields}
    changed = value(conn, statement, params)
    if changed is None:
        raise _refused(conn, kind, job_id, transition, _named({"attempt": None, **fields}))
    return changed


def _completion(
    kind: JobKind, fields: object, place: int | None = None
) -> tuple[int, dict[str, object]]:
    """A completion's checked job id, and its checked values (job_id, executed_resource,
    result, executed_circuit, note). ``place`` names the entry of a batch in errors."""
    where = "" if place is None else f"completion {place}: "
    if not isinstance(fields, Mapping):
        raise InvalidJob(f"{where}must be a mapping, not {type(fields).__name__}")
    unknown = set(fields) - _COMPLETION_KEYS
    if unknown or "job_id" not in fields or "executed_resource" not in fields:
        raise InvalidJob(
            f"{where}needs job_id and executed_resource, may have result, "
            f"executed_circuit, note and attempt; got {sorted(fields, key=repr)}"
        )
    if fields["executed_resource"] is None:
        raise UnknownResource(f"{where}executed_resource must name a resource, not None")
    try:
        return _checked_completion(kind, fields)
    except (InvalidArgument, JobNotFound) as exc:
        raise type(exc)(f"{where}{exc}") from None


def _checked_completion(
    kind: JobKind, fields: Mapping[object, object]
) -> tuple[int, dict[str, object]]:
    number = existing_id(fields["job_id"], kind)
    return number, {
        "job_id": number,
        "result": check.job_optional_text(fields.get("result"), "result"),
        "executed_resource": check.job_text(fields["executed_resource"], "executed_resource"),
        "executed_circuit": check.job_optional_text(
            fields.get("executed_circuit"), "executed_circuit"
        ),
        "note": check.job_optional_text(fields.get("note"), "note"),
        "attempt": check.attempt(fields.get("attempt")),
    }


def _named(entry: Params) -> int | None:
    """The claim a checked completion names."""
    attempt = entry["attempt"]
    return attempt if isinstance(attempt, int) else None


def _already_completed(job: CircuitJob | HamiltonianJob | None, entry: Params) -> bool:
    """Whether a completion repeats one already stored (by the same claim, where it names
    one): a retry after a lost reply."""
    if job is None or entry["attempt"] not in (None, job.attempt):
        return False
    stored = (job.status, job.result, job.executed_resource, job.executed_circuit, job.note)
    return stored == (COMPLETE.to_status, *(entry[key] for key in _COMPLETION_FIELDS))


def complete(
    conn: Conn,
    kind: JobKind,
    job_id: int,
    result: str | None,
    executed_resource: str,
    executed_circuit: str | None,
    note: str | None,
    attempt: int | None = None,
) -> None:
    """WAITING → COMPLETED. Repeating a completion with the same values is a no-op. With
    ``attempt`` (the claimed job's ``attempt``), only that claim may complete the job."""
    number, entry = _completion(
        kind,
        {
            "job_id": job_id,
            "result": result,
            "executed_resource": executed_resource,
            "executed_circuit": executed_circuit,
            "note": note,
            "attempt": attempt,
        },
    )
    try:
        changed = value(conn, _COMPLETE[kind], {**entry, **COMPLETE.params, "zone": portal_zone()})
    except pg_errors.ForeignKeyViolation:
        raise UnknownResource(f"no resource {executed_resource!r}") from None
    if changed is None:
        job = get(conn, kind, number)
        if job is None:
            raise JobNotFound(f"no {kind.name} job {number}")
        if not _already_completed(job, entry):
            raise _wrong_state(
                kind,
                job,
                COMPLETE,
                _named(entry),
                f"{COMPLETE.needs} (or {COMPLETE.to_status} with these values)",
            )


def complete_many(conn: Conn, kind: JobKind, completions: Iterable[Mapping[str, object]]) -> None:
    """Complete many WAITING jobs in one statement: all of them, or (on any refusal) none.

    Each mapping holds job_id and executed_resource, and may hold result, executed_circuit and
    note. Jobs already COMPLETED with the same values count as done (a retried batch). Call
    it inside a transaction that the caller rolls back on error (the store does).
    """
    if isinstance(completions, (str, bytes, Mapping)) or not isinstance(completions, Iterable):
        raise InvalidJob(
            f"completions must be a list of mappings, not {type(completions).__name__}"
        )
    checked = [_completion(kind, fields, place) for place, fields in enumerate(completions)]
    ids = [number for number, _ in checked]
    batch = [entry for _, entry in checked]
    if len(set(ids)) != len(ids):
        raise InvalidJob("completions name a job more than once")
    if not batch:
        return
    columns = {name: [entry[name] for entry in batch] for name in batch[0]}
    completed = set(
        column(conn, _COMPLETE_MANY[kind], {**columns, **COMPLETE.params, "zone": portal_zone()})
    )
    if len(completed) == len(batch):
        return
    unknown = set(column(conn, _UNKNOWN_RESOURCES, {"names": columns["executed_resource"]}))
    for place, entry in enumerate(batch):
        if entry["executed_resource"] in unknown:
            raise UnknownResource(
                f"completion {place}: no resource {check.shown(entry['executed_resource'])}"
            )
    found = {job.id: job for job in rows(conn, kind.get_many, {"job_ids": ids}, kind.model)}
    for place, (number, entry) in enumerate(zip(ids, batch, strict=True)):
        job = found.get(number)
        if number in completed or _already_completed(job, entry):
            continue
        if job is None:
            raise JobNotFound(f"completion {place}: no {kind.name} job {number}")
        refused = _wrong_state(kind, job, COMPLETE, _named(entry))
        raise type(refused)(f"completion {place}: {refused}")


def cancel(
    conn: Conn, kind: JobKind, job_id: int, note: str | None, attempt: int | None = None
) -> str:
    """PENDING/WAITING → CANCELLED, or → PENDING for a queued circuit job whose resource is down.
    With ``attempt``, only the runner of that claim may (the job WAITING for it).

    Returns the job's new status.
    """
    number = existing_id(job_id, kind)
    text = check.job_optional_text(note, "note")
    fields = {
        "note": text,
        "resource_down": reports_resource_down(text),
        "max_queuing_time": MAX_QUEUING_TIME,
        "attempt": check.attempt(attempt),
        "requeued_status": str(CANCEL.or_to),
    }
    changed = _change(conn, kind, _CANCEL[kind], number, fields, CANCEL)
    return str(changed)


def fail(
    conn: Conn, kind: JobKind, job_id: int, note: str | None, attempt: int | None = None
) -> None:
    """WAITING → FAILED; with ``attempt``, only by that claim."""
    number = existing_id(job_id, kind)
    fields = {"note": check.job_optional_text(note, "note"), "attempt": check.attempt(attempt)}
    _change(conn, kind, _FAIL[kind], number, fields, FAIL)


def update_hybrid(
    conn: Conn,
    job_id: int,
    epochs: int,
    params: str | None,
    parametric_circuit: str | None,
    note: str | None,
    attempt: int | None = None,
) -> None:
    """Store one epoch of a hybrid Hamiltonian job that is PENDING or WAITING; with
    ``attempt``, only the runner of that claim may (the job WAITING for it)."""
    number = existing_id(job_id, HAMILTONIAN)
    values = {
        "attempt": check.attempt(attempt),
        "epochs": check.epochs(epochs),
        "params": check.job_optional_text(params, "params"),
        "parametric_circuit": check.job_optional_text(parametric_circuit, "parametric_circuit"),
        "note": check.job_optional_text(note, "note"),
    }
    _change(conn, HAMILTONIAN, _UPDATE_HYBRID_JOB, number, values, UPDATE_HYBRID)
