"""The portal's services run as a role that may only read and write the job tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import mqp_jobs
from mqp_jobs import ClaimFilter, InvalidTransition, JobStore


@pytest.fixture
def app_conninfo(conninfo: str, db: psycopg.Connection) -> Iterator[str]:
    """A login role with only the grants of `mqp-jobs grant`, not owner, not superuser."""
    role = f"mqp_jobs_app_{os.getpid()}"
    db.execute(
        sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
            sql.Identifier(role)
        )
    )
    try:
        mqp_jobs.grant_app_role(role, conninfo)
        yield make_conninfo(conninfo, user=role)
    finally:
        db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_the_main_path_runs_under_the_application_role(app_conninfo: str) -> None:
    store = JobStore(app_conninfo).open()
    with store.connection() as conn:
        assert conn.info.user == conninfo_to_dict(app_conninfo)["user"]
    assert store.wait_for_pending_jobs(0) is False  # listening from now on
    store.create_user("alice")
    store.create_budget("grant", "alice")
    store.create_resource("qpu-a")
    store.create_target_spec("target-a", "qpu-a")
    jobs = [store.create_job(10, "c", "alice", "grant", "target-a", "qasm2") for _ in range(3)]
    hjob = store.create_hamiltonian_job("Z0", "[1]", "alice", "grant", "target-a")
    assert store.wait_for_pending_jobs(0) is True
    claimed = store.claim_jobs()
    assert [j.id for j in claimed] == [jobs[0].id, jobs[1].id]
    store.complete_job_with_result(jobs[0].id, "r", "qpu-a", "c'", "ok")
    store.cancel_job(jobs[1].id, "not needed")
    assert [j.id for j in store.claim_jobs(ClaimFilter(users=["alice"]))] == [jobs[2].id]
    store.fail_job(jobs[2].id, "calibration drift")
    assert store.fetch_all_pending_hamiltonian_jobs() != []
    store.update_hybrid_job(hjob.id, 1, "[0.5]", "rx(t) q[0];", "epoch 1")
    store.complete_hamiltonian_job_with_result(hjob.id, "-1.0", "qpu-a", "rx(0.5) q[0];")
    store.set_resource_maintenance("qpu-a", True)
    page = store.fetch_by_identity_pages("alice", 0, 10, "DESC", "date", "completed")
    assert [j.id for j in page["jobs"]] == [jobs[0].id]
    assert store.requeue_stale_jobs(timedelta(hours=1)).circuit == []
    assert store.queue_stats().total("FAILED") == 1
    with pytest.raises(InvalidTransition):
        store.cancel_job(jobs[0].id, "too late")
    store.close()


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE intruder (id int)",
        "ALTER TABLE circuit_job ADD COLUMN intruder int",
        "DELETE FROM circuit_job",
        "UPDATE job_event SET note = 'rewritten'",
        "DROP TABLE job_event",
        "TRUNCATE circuit_job",
        "INSERT INTO job_event (job_kind, job_id, to_status) VALUES ('circuit', 1, 'COMPLETED')",
        "UPDATE budget SET owner = owner",
        'UPDATE "user" SET blocked = false',
        "UPDATE target_specification SET resource_name = ''",
        "UPDATE user_group SET owner = owner",
        "UPDATE circuit_job SET id = id + 1000, status = 'COMPLETED'",
        "UPDATE circuit_job SET owner = 'bob'",
        "UPDATE resource SET name = 'renamed'",
        "SELECT nextval(pg_get_serial_sequence('job_event', 'id'))",
    ],
)
def test_the_application_role_cannot_change_schema_or_erase_history(
    app_conninfo: str, statement: str
) -> None:
    with psycopg.connect(app_conninfo) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement.encode())


def test_a_temporary_table_cannot_hide_a_change_from_the_event_log(
    store: JobStore, portal: object, db: psycopg.Connection, app_conninfo: str
) -> None:
    """A session that creates TEMP tables named like the package's own (searched first by
    default) still has its changes logged and its jobs grouped in the real tables."""
    job = store.create_job(10, "c", "alice", "alice-grant", "target-qpu-a", "qasm2")
    with psycopg.connect(app_conninfo) as conn:
        conn.execute("CREATE TEMP TABLE job_event (LIKE public.job_event)")
        conn.execute("CREATE TEMP TABLE claim_group (LIKE public.claim_group)")
        conn.execute("UPDATE circuit_job SET status = 'CANCELLED' WHERE id = %s", (job.id,))
        conn.execute(
            "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
            " target_specification) VALUES (1, 'c', 'q', 'bob', 'bob-grant', 'target-qpu-a')"
        )
        conn.commit()
    assert db.execute(
        "SELECT from_status, to_status FROM job_event WHERE job_id = %s ORDER BY id", (job.id,)
    ).fetchall() == [(None, "PENDING"), ("PENDING", "CANCELLED")]
    assert ("bob", "target-qpu-a") in db.execute(
        "SELECT owner, target_specification FROM claim_group"
    ).fetchall()


def test_a_bad_role_name_is_an_invalid_argument(conninfo: str) -> None:
    for role in ("", None, "a\x00b", 5, "\ud800", "no_such_role_here"):
        with pytest.raises(mqp_jobs.InvalidArgument):
            mqp_jobs.grant_app_role(role, conninfo)  # type: ignore[arg-type]
