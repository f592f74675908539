"""Submitting jobs: validate every field, then insert in one guarded statement."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from mqp_jobs import validation as check
from mqp_jobs.clock import portal_zone
from mqp_jobs.errors import (
    BudgetNotAllowed,
    InvalidJob,
    UnknownBudget,
    UnknownOwner,
    UnknownTargetSpec,
)
from mqp_jobs.execute import Conn, Params, row, rows
from mqp_jobs.models import CircuitJob, HamiltonianJob, JobReferences
from mqp_jobs.queries import query

_CREATE_JOB = query("create_job")
_CREATE_HAMILTONIAN_JOB = query("create_hamiltonian_job")
_JOB_REFERENCES = query("job_references")
_CREATE_JOBS = query("create_jobs")
_REQUIRED_JOB_FIELDS = ("shots", "circuit", "owner", "budget", "target_spec", "circuit_format")
_OPTIONAL_JOB_FIELDS = ("no_modify", "queued")
_JOB_FIELDS = _REQUIRED_JOB_FIELDS + _OPTIONAL_JOB_FIELDS


def _entry_keys_problem(fields: Collection[object]) -> str | None:
    """What is wrong with a batch entry's keys (the missing and the unknown), or None."""
    missing = [name for name in _REQUIRED_JOB_FIELDS if name not in fields]
    unknown = sorted((key for key in fields if key not in _JOB_FIELDS), key=repr)
    if not missing and not unknown:
        return None
    found = []
    if missing:
        found.append(f"missing {', '.join(missing)}")
    if unknown:
        found.append(f"unknown fields {unknown}")
    return (
        f"{'; '.join(found)} (a job needs {', '.join(_REQUIRED_JOB_FIELDS)} and may have "
        f"{' and '.join(_OPTIONAL_JOB_FIELDS)})"
    )


def reference_key(value: object, attribute: str) -> object:
    """A reference given as its key, or as an object holding the key (the portal's ORM entity,
    such as a Budget with its ``name``), as the old module accepted both."""
    if isinstance(value, str):
        return value
    found = getattr(value, attribute, None)
    return found if isinstance(found, str) else value


def _references(owner: object, budget: object, target_spec: object) -> dict[str, str]:
    return {
        "owner": check.job_text(reference_key(owner, "identity"), "owner"),
        "budget": check.job_text(reference_key(budget, "name"), "budget"),
        "target_spec": check.job_text(reference_key(target_spec, "name"), "target_spec"),
    }


def _refusal(conn: Conn, params: Params) -> Exception:
    """Why the guarded insert wrote nothing, checked in the order a caller fixes things."""
    refs = row(conn, _JOB_REFERENCES, params, JobReferences)
    if refs is None:  # a SELECT of EXISTS tests always returns one row
        return InvalidJob("the job was refused by the database")
    if not refs.owner_known:
        return UnknownOwner(f"no user {params['owner']!r}")
    if not refs.budget_known:
        return UnknownBudget(f"no budget {params['budget']!r}")
    if not refs.budget_allowed:
        return BudgetNotAllowed(
            f"user {params['owner']!r} may not charge budget {params['budget']!r}"
        )
    if not refs.target_known:
        return UnknownTargetSpec(f"no target specification {params['target_spec']!r}")
    return InvalidJob("the job was refused by the database")


def _circuit_job_params(
    shots: object,
    circuit: object,
    owner: object,
    budget: object,
    target_spec: object,
    circuit_format: object,
    no_modify: object = False,
    queued: object = False,
) -> dict[str, object]:
    return {
        "shots": check.shots(shots),
        "circuit": check.job_text(circuit, "circuit"),
        "circuit_format": check.job_text(circuit_format, "circuit_format"),
        "no_modify": check.job_flag(no_modify, "no_modify"),
        "queued": check.job_flag(queued, "queued"),
        **_references(owner, budget, target_spec),
    }


def create_job(
    conn: Conn,
    shots: int,
    circuit: str,
    owner: str,
    budget: str,
    target_spec: str,
    circuit_format: str,
    no_modify: bool = False,
    queued: bool = False,
) -> CircuitJob:
    params = _circuit_job_params(
        shots, circuit, owner, budget, target_spec, circuit_format, no_modify, queued
    )
    job = row(conn, _CREATE_JOB, {**params, "zone": portal_zone()}, CircuitJob)
    if job is None:
        raise _refusal(conn, params)
    return job


def create_hamiltonian_job(
    conn: Conn,
    interaction_str: str,
    coefficients_str: str,
    owner: str,
    budget: str,
    target_spec: str,
) -> HamiltonianJob:
    params = {
        "interaction_str": check.job_text(interaction_str, "interaction_str"),
        "coefficients_str": check.job_text(coefficients_str, "coefficients_str"),
        **_references(owner, budget, target_spec),
    }
    job = row(conn, _CREATE_HAMILTONIAN_JOB, {**params, "zone": portal_zone()}, HamiltonianJob)
    if job is None:
        raise _refusal(conn, params)
    return job


def create_jobs(conn: Conn, jobs: Iterable[Mapping[str, object]]) -> list[CircuitJob]:
    """Create many circuit jobs in one statement; all of them or, on any refusal, none.

    Each mapping holds create_job's arguments by name (no_modify and queued may be left out).
    Returns the jobs in the order given. Call it inside a transaction that the caller rolls
    back on error (the store does), so that a refused batch leaves no row.
    """
    if isinstance(jobs, (str, bytes, Mapping)) or not isinstance(jobs, Iterable):
        raise InvalidJob(f"jobs must be a list of job fields, not {type(jobs).__name__}")
    batch = []
    for place, fields in enumerate(jobs):
        if not isinstance(fields, Mapping):
            raise InvalidJob(f"job {place}: fields must be a mapping, not {type(fields).__name__}")
        problem = _entry_keys_problem(fields)
        if problem is not None:
            raise InvalidJob(f"job {place}: {problem}")
        try:
            batch.append(_circuit_job_params(**fields))
        except InvalidJob as exc:
            raise InvalidJob(f"job {place}: {exc}") from None
    if not batch:
        return []
    columns = {name: [params[name] for params in batch] for name in batch[0]}
    created = rows(conn, _CREATE_JOBS, {**columns, "zone": portal_zone()}, CircuitJob)
    if len(created) == len(batch):
        return sorted(created, key=lambda job: job.id)
    for place, params in enumerate(batch):
        refusal = _refusal(conn, params)
        if not isinstance(refusal, InvalidJob):
            raise type(refusal)(f"job {place}: {refusal}")
    raise InvalidJob("a job of the batch was refused by the database")
