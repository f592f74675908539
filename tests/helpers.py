"""Small helpers the scenario tests share."""

from __future__ import annotations

from typing import Any

import psycopg

from mqp_jobs import CircuitJob, HamiltonianJob, JobStore

CIRCUIT = "OPENQASM 2.0; qreg q[2]; h q[0]; cx q[0],q[1];"


def submit(store: JobStore, portal: Any, by: str | None = None, **overrides: Any) -> CircuitJob:
    """A circuit job of user ``by`` (alice by default) on the QPU target; fields overridable."""
    owner = by or portal.alice
    fields: dict[str, Any] = {
        "shots": 100,
        "circuit": CIRCUIT,
        "owner": owner,
        "budget": portal.alice_budget if owner == portal.alice else portal.bob_budget,
        "target_spec": portal.qpu_target,
        "circuit_format": "qasm2",
    }
    fields.update(overrides)
    return store.create_job(**fields)


def submit_hamiltonian(store: JobStore, portal: Any, by: str | None = None) -> HamiltonianJob:
    owner = by or portal.alice
    budget = portal.alice_budget if owner == portal.alice else portal.bob_budget
    return store.create_hamiltonian_job(
        "Z0 Z1 + X0", "[1.0, 0.5]", owner, budget, portal.sim_target
    )


def set_status(db: psycopg.Connection, table: str, job_id: int, status: str) -> None:
    """Put a job straight into a status, as another part of the portal writing SQL would."""
    query = psycopg.sql.SQL("UPDATE {} SET status = %s WHERE id = %s").format(
        psycopg.sql.Identifier(table)
    )
    db.execute(query, (status, job_id))


def status_of(db: psycopg.Connection, table: str, job_id: int) -> str:
    query = psycopg.sql.SQL("SELECT status FROM {} WHERE id = %s").format(
        psycopg.sql.Identifier(table)
    )
    row = db.execute(query, (job_id,)).fetchone()
    assert row is not None
    return str(row[0])


def events(
    db: psycopg.Connection, kind: str, job_id: int
) -> list[tuple[str | None, str, str | None]]:
    """(from_status, to_status, note) of every logged transition of one job, oldest first."""
    rows = db.execute(
        "SELECT from_status, to_status, note FROM job_event"
        " WHERE job_kind = %s AND job_id = %s ORDER BY id",
        (kind, job_id),
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]
