"""Submitting jobs: validate every field, then insert in one guarded statement."""

from __future__ import annotations

from mqp_jobs import validation as check
from mqp_jobs.errors import (
    BudgetNotAllowed,
    InvalidJob,
    UnknownBudget,
    UnknownOwner,
    UnknownTargetSpec,
)
from mqp_jobs.execute import Conn, Params, row
from mqp_jobs.models import CircuitJob, HamiltonianJob, JobReferences
from mqp_jobs.queries import query

_CREATE_JOB = query("create_job")
_CREATE_HAMILTONIAN_JOB = query("create_hamiltonian_job")
_JOB_REFERENCES = query("job_references")


def _references(owner: object, budget: object, target_spec: object) -> dict[str, str]:
    return {
        "owner": check.text(owner, "owner", InvalidJob),
        "budget": check.text(budget, "budget", InvalidJob),
        "target_spec": check.text(target_spec, "target_spec", InvalidJob),
    }


def _refusal(conn: Conn, params: Params) -> Exception:
    """Why the guarded insert wrote nothing, checked in the order a caller fixes things."""
    refs = row(conn, _JOB_REFERENCES, params, JobReferences)
    assert refs is not None  # a SELECT of EXISTS tests always returns one row
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
    params = {
        "shots": check.count(shots, "shots", minimum=1, error=InvalidJob),
        "circuit": check.text(circuit, "circuit", InvalidJob),
        "circuit_format": check.text(circuit_format, "circuit_format", InvalidJob),
        "no_modify": check.flag(no_modify, "no_modify", InvalidJob),
        "queued": check.flag(queued, "queued", InvalidJob),
        **_references(owner, budget, target_spec),
    }
    job = row(conn, _CREATE_JOB, params, CircuitJob)
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
        "interaction_str": check.text(interaction_str, "interaction_str", InvalidJob),
        "coefficients_str": check.text(coefficients_str, "coefficients_str", InvalidJob),
        **_references(owner, budget, target_spec),
    }
    job = row(conn, _CREATE_HAMILTONIAN_JOB, params, HamiltonianJob)
    if job is None:
        raise _refusal(conn, params)
    return job
