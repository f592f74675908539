"""The portal's ORM and mqp_jobs on one database, side by side, after adoption.

Scenarios of the portal: its other modules keep reading and writing every row through the ORM;
a job the ORM submits is claimed by the package once, within the active-job limit, counting
the jobs the ORM itself marked WAITING; what the package writes reads back in the ORM; times
written by both on one host agree; the jobs the package returns answer the old attribute paths
and ``to_dict()``; the dashboard's calls work as before; budgets are charged the portal's way.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pony.orm as orm
import psycopg
import pytest
from pony.orm import db_session

import mqp_jobs

from .entities import define_portal_entities

SPAWN = multiprocessing.get_context("spawn")
CIRCUIT = "OPENQASM 2.0; qreg q[2]; h q[0]; cx q[0],q[1];"
RESULT = '{"00": 498, "11": 502}'

# The portal's tables and their columns as its ORM made them (LEGACY_SCHEMA.md).
PORTAL_TABLES = {
    "user": "identity",
    "user_security_level": "name",
    "super_user_level": "name",
    "user_group": "name",
    "users_in_user_groups": '"user", usergroup',
    "budget": "name",
    "user_groups_in_budgets": "budget, usergroup",
    "budget_resource": "budget, resource",
    "resource_security_level": "name",
    "resource": "name",
    "target_specification": "name",
    "circuit_job": "id",
    "hamiltonian_job": "id",
    "token": "token_hash",
    "token_usage": "id",
    "timestamp_data": "id",
}


# --- the portal, written through its ORM --------------------------------------------------


def portal_basics(db: orm.Database) -> None:
    """Users, a budget charged by a group, resources and targets, as the portal's modules make them.

    alice owns budget ``grant``; bob may charge it as a member of group ``lab`` linked to it;
    carol is in group ``other-lab``, which is linked to carol's own budget only.
    Resources: ``qpu`` and ``qpu-maint`` (in maintenance). Targets: ``ts-qpu`` and
    ``ts-maint`` on them, ``ts-sim`` by technology only (resource name ``''``), ``ts-ghost``
    naming a resource without a row.
    """
    with db_session:
        level = db.UserSecurityLevel(
            name="BASIC",
            token_max_live_count=1,
            token_max_lifetime=30,
            token_min_creation_interval=1,
            token_max_jobs=100,
            token_max_budget=100,
            token_max_rate=1,
            login_max_interval=365,
        )
        users = {
            name: db.User(
                identity=name,
                email=f"{name}@lrz.example",
                affiliation="LRZ",
                association="LDAP",
                security_level=level,
            )
            for name in ("alice", "bob", "carol")
        }
        grant = db.Budget(name="grant", owner=users["alice"], credits=1000)
        lab = db.UserGroup(name="lab", owner=users["alice"], cost_modifier=1.0)
        lab.users.add([users["alice"], users["bob"]])
        grant.user_groups.add(lab)
        carols = db.Budget(name="carol-grant", owner=users["carol"], credits=10)
        other_lab = db.UserGroup(name="other-lab", owner=users["carol"], cost_modifier=1.0)
        other_lab.users.add(users["carol"])
        carols.user_groups.add(other_lab)

        resource_level = db.ResourceSecurityLevel(
            name="BASIC",
            job_min_interval=0,
            budget_max_per_job=1000,
            unique_token_required=False,
            token_max_lifetime=30,
        )
        for name, maintenance in (("qpu", False), ("qpu-maint", True)):
            db.Resource(
                name=name,
                maintenance=maintenance,
                qubits=20,
                connectivity="grid",
                instructions="rx,rz,cz,measure",
                quantum_technology="superconducting",
                resource_cost_modifier=1.0,
                security_level=resource_level,
            )
        for name, resource in (
            ("ts-qpu", "qpu"),
            ("ts-maint", "qpu-maint"),
            ("ts-sim", ""),
            ("ts-ghost", "qpu-unbuilt"),
        ):
            db.TargetSpecification(
                name=name,
                specification_type="resource" if resource else "technology",
                quantum_technology="superconducting",
                resource_name=resource,
            )


def orm_submit(db: orm.Database, owner: str = "alice", **fields: Any) -> int:
    """A circuit job written by the ORM, as the old job module wrote it (cost 0); its id."""
    values: dict[str, Any] = {
        "shots": 100,
        "circuit": CIRCUIT,
        "circuit_format": "qasm2",
        "owner": owner,
        "budget": "grant",
        "target_specification": "ts-qpu",
        "cost": 0,
    }
    values.update(fields)
    with db_session:
        job = db.CircuitJob(**values)
        orm.flush()
        return int(job.id)


def orm_job(db: orm.Database, job_id: int) -> Any:
    """The job as the ORM reads it in a session of its own; use inside ``db_session``."""
    job = db.CircuitJob.get(id=job_id)
    assert job is not None
    return job


def every_entity(db: orm.Database, tag: str) -> None:
    """One or more rows of every portal entity, all attributes filled, names prefixed by tag."""
    stamp = datetime(2025, 3, 4, 5, 6, 7, 123456)
    with db_session:
        user_level = db.UserSecurityLevel(
            name=f"{tag}-basic",
            note="the default level",
            token_max_live_count=3,
            token_max_lifetime=30,
            token_min_creation_interval=1,
            token_max_jobs=100,
            token_max_budget=500,
            token_max_rate=5,
            login_max_interval=365,
        )
        admin_level = db.SuperUserLevel(
            name=f"{tag}-admin",
            permission_user_creation=True,
            permission_user_blocking=True,
            permission_user_group_budget_assignment=True,
            permission_user_group_create=True,
            permission_user_group_user_add=True,
            permission_user_group_user_remove=False,
            permission_budget_create=True,
            permission_budget_split=False,
        )
        admin = db.User(
            identity=f"{tag}-admin",
            email=f"{tag}-admin@lrz.example",
            affiliation="LRZ",
            association="LDAP",
            security_level=user_level,
            superuser_level=admin_level,
            secret_hash="pbkdf2$admin",
            force_secret_reset=False,
            last_login=stamp,
            last_secret_change=stamp - timedelta(days=30),
        )
        user = db.User(
            identity=f"{tag}-user",
            note="a researcher",
            email=f"{tag}-user@lrz.example",
            affiliation="TUM",
            association="QUANTUM",
            security_level=user_level,
            owner=admin,
            blocked=True,
            block_reason="too many jobs",
        )
        group = db.UserGroup(name=f"{tag}-group", note="a lab", owner=admin, cost_modifier=0.5)
        group.users.add(user)
        resource_level = db.ResourceSecurityLevel(
            name=f"{tag}-open",
            job_min_interval=10,
            budget_max_per_job=50,
            unique_token_required=True,
            token_max_lifetime=7,
        )
        qpu = db.Resource(
            name=f"{tag}-qpu",
            note="in the basement",
            qubits=20,
            connectivity="grid",
            instructions="rx,rz,cz,measure",
            quantum_technology="neutral atoms",
            resource_cost_modifier=1.5,
            security_level=resource_level,
            num_queued_jobs=4,
        )
        budget = db.Budget(name=f"{tag}-grant", note="project X", owner=admin, credits=500)
        budget.user_groups.add(group)
        budget.resources.add(qpu)
        on_qpu = db.TargetSpecification(
            name=f"{tag}-target",
            note="the basement QPU",
            specification_type="resource",
            minimum_qubits="5",
            quantum_technology="neutral atoms",
            resource_name=qpu.name,
        )
        by_technology = db.TargetSpecification(
            name=f"{tag}-tech", specification_type="technology", quantum_technology="ions"
        )
        queued = db.CircuitJob(
            note="from the portal",
            shots=100,
            circuit=CIRCUIT,
            circuit_format="qasm2",
            no_modify=True,
            cost=3,
            owner=user,
            budget=budget,
            target_specification=on_qpu,
            queued=True,
        )
        done = db.CircuitJob(
            status="COMPLETED",
            shots=1000,
            circuit=CIRCUIT,
            circuit_format="qasm3",
            timestamp_submitted=stamp,
            timestamp_scheduled=stamp + timedelta(seconds=1),
            timestamp_completed=stamp + timedelta(seconds=9),
            cost=7,
            result=RESULT,
            owner=user,
            budget=budget,
            executed_resource=qpu,
            target_specification=on_qpu,
            executed_circuit="OPENQASM 2.0; // transpiled",
        )
        db.HamiltonianJob(
            note="VQE",
            interaction_str="Z0 Z1 + X0",
            coefficients_str="[1.0, 0.5]",
            cost=1,
            owner=user,
            budget=budget,
            target_specification=by_technology,
        )
        db.HamiltonianJob(
            status="CANCELLED",
            interaction_str="X0",
            coefficients_str="[2.0]",
            timestamp_submitted=stamp,
            timestamp_cancelled=stamp + timedelta(minutes=5),
            owner=admin,
            budget=budget,
            target_specification=on_qpu,
        )
        token = db.Token(
            token_hash=f"{tag}-hash",
            owner=user,
            remember_name=f"{tag}-laptop",
            creation=stamp,
            expiration=stamp + timedelta(days=7),
            last_used=stamp + timedelta(hours=1),
            max_budget_usage=100,
            max_jobs=10,
        )
        db.TokenUsage(job=queued, token=token)
        db.TimestampData(
            circuit_job=done,
            api_entry=stamp,
            api_exit=stamp + timedelta(milliseconds=20),
            qdb_entry=stamp + timedelta(milliseconds=5),
            job_execution_start=stamp + timedelta(seconds=2),
            job_execution_end=stamp + timedelta(seconds=8),
        )


def orm_snapshot(db: orm.Database) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of every entity as the ORM reads it, collections included and sorted."""
    snapshot: dict[str, dict[Any, dict[str, Any]]] = {}
    with db_session:
        for name, entity in db.entities.items():
            rows = {}
            for obj in entity.select():
                row = obj.to_dict(with_collections=True, with_lazy=True)
                rows[obj.get_pk()] = {
                    key: sorted(value) if isinstance(value, list) else value
                    for key, value in row.items()
                }
            snapshot[name] = rows
    return snapshot


def portal_columns(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) -> (type, nullable) of the portal's tables."""
    rows = conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = ANY(%s)",
        (list(PORTAL_TABLES),),
    ).fetchall()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def portal_rows(
    conn: psycopg.Connection, columns: dict[tuple[str, str], tuple[str, str]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the portal's tables, the portal's own columns only, in key order."""
    rows = {}
    for table, key in PORTAL_TABLES.items():
        names = sorted(column for t, column in columns if t == table)
        listed = ", ".join(f'"{name}"' for name in names)
        rows[table] = conn.execute(f'SELECT {listed} FROM "{table}" ORDER BY {key}').fetchall()
    return rows


# --- adoption keeps the ORM working --------------------------------------------------------


def test_rows_the_portal_wrote_before_adoption_read_back_unchanged(
    portal_orm: orm.Database, adopt: Callable[[], orm.Database], portal_db: psycopg.Connection
) -> None:
    every_entity(portal_orm, "before")
    portal_basics(portal_orm)
    orm_submit(portal_orm)
    columns = portal_columns(portal_db)
    raw_before = portal_rows(portal_db, columns)
    orm_before = orm_snapshot(portal_orm)

    adopt()

    assert {k: v for k, v in portal_columns(portal_db).items() if k in columns} == columns
    assert portal_rows(portal_db, columns) == raw_before
    assert orm_snapshot(portal_orm) == orm_before
    # The package reads those rows as the ORM does.
    with db_session:
        for job in mqp_jobs.fetch_by_identity("before-user") + mqp_jobs.fetch_by_identity("alice"):
            assert job.to_dict() == orm_job(portal_orm, job.id).to_dict()
    # And claims the pending ones, oldest first.
    pending = sorted(
        (row["timestamp_submitted"], job_id)
        for job_id, row in orm_before["CircuitJob"].items()
        if row["status"] == "PENDING"
    )
    assert len(pending) == 2
    assert [job.id for job in mqp_jobs.fetch_all_pending_jobs()] == [i for _, i in pending]


def test_the_portal_creates_and_updates_rows_of_every_entity_after_adoption(
    adopted: orm.Database,
) -> None:
    every_entity(adopted, "after")
    created = orm_snapshot(adopted)
    assert all(created[name] for name in adopted.entities), "a row of every entity"

    with db_session:
        user = adopted.User["after-user"]
        user.note = "moved to another lab"
        user.blocked = False
        user.user_groups.clear()
        adopted.Budget["after-grant"].credits -= 7
        adopted.Resource["after-qpu"].maintenance = True
        adopted.TargetSpecification["after-target"].resource_name = ""
        job = adopted.CircuitJob.get(note="from the portal")
        job.status = "CANCELLED"
        job.timestamp_cancelled = datetime(2025, 3, 4, 6, 0, 0)
        hamiltonian = adopted.HamiltonianJob.get(note="VQE")
        hamiltonian.result = "[-1.1]"
        adopted.Token["after-hash"].revoked = True
        adopted.TimestampData.select().first().qdb_exit = datetime(2025, 3, 4, 5, 6, 8)
        job_id, hamiltonian_id = job.id, hamiltonian.id

    with db_session:
        user = adopted.User["after-user"]
        assert (user.note, user.blocked, list(user.user_groups)) == (
            "moved to another lab",
            False,
            [],
        )
        assert adopted.Budget["after-grant"].credits == 493
        assert adopted.Resource["after-qpu"].maintenance is True
        assert adopted.TargetSpecification["after-target"].resource_name == ""
        job = adopted.CircuitJob[job_id]
        assert (job.status, job.timestamp_cancelled) == (
            "CANCELLED",
            datetime(2025, 3, 4, 6, 0, 0),
        )
        assert adopted.HamiltonianJob[hamiltonian_id].result == "[-1.1]"
        assert adopted.Token["after-hash"].revoked is True
        assert adopted.TimestampData.select().first().qdb_exit == datetime(2025, 3, 4, 5, 6, 8)

    # The package sees what the ORM changed.
    [cancelled] = [j for j in mqp_jobs.fetch_by_identity("after-user") if j.id == job_id]
    assert cancelled.status == "CANCELLED"
    [vqe] = mqp_jobs.fetch_hamiltonian_job_by_task_id(hamiltonian_id)
    assert vqe.result == "[-1.1]"


# The ORM warns when it reads the empty circuit; reading it is the point here.
@pytest.mark.filterwarnings("ignore::pony.orm.core.DatabaseContainsIncorrectEmptyValue")
def test_the_portal_still_writes_rows_that_break_the_packages_rules(
    portal_orm: orm.Database, adopt: Callable[[], orm.Database], portal_db: psycopg.Connection
) -> None:
    portal_basics(portal_orm)
    # Another component of the portal put a job on hold, one more wrote an empty circuit.
    on_hold = orm_submit(portal_orm, status="ON_HOLD")
    empty = orm_submit(portal_orm)
    portal_db.execute("UPDATE circuit_job SET circuit = '' WHERE id = %s", (empty,))

    adopt()

    with db_session:
        assert orm_job(portal_orm, on_hold).status == "ON_HOLD"
        assert orm_job(portal_orm, empty).circuit == ""
        orm_job(portal_orm, on_hold).note = "still on hold"
        orm_job(portal_orm, empty).note = "circuit lost"
    with db_session:
        assert orm_job(portal_orm, on_hold).note == "still on hold"
        assert orm_job(portal_orm, empty).note == "circuit lost"
        orm_job(portal_orm, on_hold).status = "CANCELLED"
    with db_session:
        assert orm_job(portal_orm, on_hold).status == "CANCELLED"


def test_the_portal_deletes_a_job_the_package_has_moved(adopted: orm.Database) -> None:
    portal_basics(adopted)
    job_id = orm_submit(adopted)
    [claimed] = mqp_jobs.fetch_all_pending_jobs()
    mqp_jobs.cancel_job(claimed.id, "user asked")

    with db_session:
        adopted.CircuitJob[job_id].delete()
    with db_session:
        assert adopted.CircuitJob.get(id=job_id) is None
    assert mqp_jobs.fetch_by_identity("alice") == []


def test_a_portal_service_starting_after_adoption_maps_the_tables(
    adopted: orm.Database, portal_postgresql: psycopg.Connection
) -> None:
    portal_basics(adopted)
    mqp_jobs.create_job(100, CIRCUIT, "alice", "grant", "ts-qpu", "qasm2")
    info = portal_postgresql.info
    for create_tables in (False, True):
        service = orm.Database()
        service.bind(
            provider="postgres",
            host=info.host,
            port=info.port,
            user=info.user,
            database=info.dbname,
        )
        define_portal_entities(service)
        service.generate_mapping(create_tables=create_tables)
        with db_session:
            [job] = service.CircuitJob.select()[:]
            assert (job.owner.identity, job.status) == ("alice", "PENDING")
        service.disconnect()


# --- claims ---------------------------------------------------------------------------------


def test_a_job_the_portal_submits_is_claimed_once(adopted: orm.Database) -> None:
    portal_basics(adopted)
    submitted = [
        orm_submit(adopted, "alice", target_specification="ts-qpu"),
        orm_submit(adopted, "bob", target_specification="ts-qpu"),
        orm_submit(adopted, "alice", target_specification="ts-sim"),
        orm_submit(adopted, "alice", target_specification="ts-ghost"),
    ]

    first = mqp_jobs.fetch_all_pending_jobs()
    second = mqp_jobs.fetch_all_pending_jobs()

    assert [job.id for job in first] == submitted
    assert second == []
    with db_session:
        for job_id in submitted:
            job = orm_job(adopted, job_id)
            assert job.status == "WAITING"
            assert job.timestamp_scheduled is not None


def _claim_in_process(conninfo: str, start: Any, results: Any) -> None:
    """A scheduler process: claim until nothing is left, report the ids it got."""
    mqp_jobs.configure(conninfo, min_size=1, max_size=1)
    start.wait()
    claimed: list[int] = []
    while batch := mqp_jobs.fetch_all_pending_jobs():
        claimed.extend(job.id for job in batch)
    mqp_jobs.close()
    results.put(claimed)


def test_concurrent_schedulers_claim_each_portal_job_once_within_the_limit(
    adopted: orm.Database, portal_conninfo: str, portal_db: psycopg.Connection
) -> None:
    portal_basics(adopted)
    users = [f"user{n:02d}" for n in range(16)]
    with db_session:
        for name in users:
            user = adopted.User(
                identity=name,
                email=f"{name}@lrz.example",
                affiliation="LRZ",
                association="LDAP",
                security_level="BASIC",
            )
            adopted.UserGroup["lab"].users.add(user)
    jobs = {orm_submit(adopted, name): name for name in users for _ in range(3)}

    processes = 4
    start = SPAWN.Barrier(processes)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_claim_in_process, args=(portal_conninfo, start, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    claimed = [job_id for _ in workers for job_id in results.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    assert len(claimed) == len(set(claimed)), "no job claimed twice"
    assert set(claimed) <= set(jobs)
    # Each user has three jobs on one target: two may run, the third waits its turn.
    assert Counter(jobs[job_id] for job_id in claimed) == {name: 2 for name in users}
    waiting = portal_db.execute(
        "SELECT id FROM circuit_job WHERE status = 'WAITING' ORDER BY id"
    ).fetchall()
    assert [row[0] for row in waiting] == sorted(claimed)
    assert mqp_jobs.fetch_all_pending_jobs() == []


def test_the_limit_counts_jobs_the_portal_marked_waiting(
    adopted: orm.Database, portal_conninfo: str
) -> None:
    portal_basics(adopted)
    running = orm_submit(adopted, status="WAITING", timestamp_scheduled=datetime.now())
    pending = [orm_submit(adopted) for _ in range(3)]

    [moved] = mqp_jobs.fetch_all_pending_jobs()
    assert moved.id == pending[0]
    assert mqp_jobs.fetch_all_pending_jobs() == []

    with psycopg.connect(portal_conninfo) as qdb:
        [next_job] = [j for j in mqp_jobs.fetch_by_identity("alice") if j.id == pending[1]]
        assert mqp_jobs.is_within_active_job_limit(qdb, next_job) is False
    # The portal finishes its job by itself; one more may move.
    with db_session:
        job = orm_job(adopted, running)
        job.status = "COMPLETED"
        job.timestamp_completed = datetime.now()
    with psycopg.connect(portal_conninfo) as qdb:
        remaining = [j for j in mqp_jobs.fetch_by_identity("alice") if j.id in pending[1:]]
        assert mqp_jobs.is_within_active_job_limit(qdb, remaining[0]) is True
        released = mqp_jobs.filter_queued_if_offline_and_fetch(qdb, remaining)
    assert [job.id for job in released] == [pending[1]]
    with db_session:
        assert [orm_job(adopted, job_id).status for job_id in pending] == [
            "WAITING",
            "WAITING",
            "PENDING",
        ]


def test_a_portal_hamiltonian_job_is_claimed_once_and_completed(adopted: orm.Database) -> None:
    portal_basics(adopted)
    with db_session:
        job = adopted.HamiltonianJob(
            interaction_str="Z0 Z1",
            coefficients_str="[1.0]",
            owner="bob",
            budget="grant",
            target_specification="ts-sim",
        )
        orm.flush()
        job_id = job.id

    assert [job.id for job in mqp_jobs.fetch_all_pending_hamiltonian_jobs()] == [job_id]
    assert mqp_jobs.fetch_all_pending_hamiltonian_jobs() == []
    mqp_jobs.complete_hamiltonian_job_with_result(job_id, "[-1.0]", "qpu", "X0", "converged")

    with db_session:
        job = adopted.HamiltonianJob[job_id]
        assert (job.status, job.result, job.executed_resource.name, job.note) == (
            "COMPLETED",
            "[-1.0]",
            "qpu",
            "converged",
        )
        assert job.timestamp_completed is not None


# --- what the package writes, the ORM reads --------------------------------------------------


def test_a_job_the_package_completes_reads_back_in_the_orm(adopted: orm.Database) -> None:
    portal_basics(adopted)
    job_id = orm_submit(adopted, note="")
    mqp_jobs.fetch_all_pending_jobs()

    mqp_jobs.complete_job_with_result(
        job_id, RESULT, "qpu", "OPENQASM 2.0; // transpiled", "ran on qpu"
    )

    with db_session:
        job = orm_job(adopted, job_id)
        assert job.status == "COMPLETED"
        assert job.result == RESULT
        assert job.executed_resource.name == "qpu"
        assert job.executed_circuit == "OPENQASM 2.0; // transpiled"
        assert job.note == "ran on qpu"
        assert job.timestamp_completed is not None
        assert job.timestamp_completed >= job.timestamp_scheduled >= job.timestamp_submitted


def test_a_job_the_package_creates_reads_back_in_the_orm(adopted: orm.Database) -> None:
    portal_basics(adopted)

    created = mqp_jobs.create_job(250, CIRCUIT, "bob", "grant", "ts-sim", "qasm2", queued=True)

    with db_session:
        job = orm_job(adopted, created.id)
        assert (job.owner.identity, job.budget.name, job.target_specification.name) == (
            "bob",
            "grant",
            "ts-sim",
        )
        assert (job.shots, job.circuit, job.circuit_format) == (250, CIRCUIT, "qasm2")
        assert (job.status, job.no_modify, job.queued) == ("PENDING", False, True)
        assert (job.note, job.result, job.executed_circuit) == ("", "", "")
        assert job.executed_resource is None
        assert job.to_dict() == created.to_dict()


# --- times ---------------------------------------------------------------------------------


def test_times_written_by_the_portal_and_the_package_agree(
    berlin_time: None, adopt: Callable[[], orm.Database]
) -> None:
    db = adopt()
    portal_basics(db)
    job_id = orm_submit(db)
    with db_session:
        submitted = orm_job(db, job_id).timestamp_submitted

    [claimed] = mqp_jobs.fetch_all_pending_jobs()
    mqp_jobs.complete_job_with_result(job_id, RESULT, "qpu", CIRCUIT, "")
    completed_at = datetime.now()

    assert claimed.timestamp_submitted == submitted
    assert abs(claimed.timestamp_scheduled - submitted) < timedelta(seconds=1)
    with db_session:
        job = orm_job(db, job_id)
        assert timedelta(0) <= job.timestamp_scheduled - submitted < timedelta(seconds=1)
        assert abs(job.timestamp_completed - completed_at) < timedelta(seconds=1)

    created = mqp_jobs.create_job(10, CIRCUIT, "alice", "grant", "ts-qpu", "qasm2")
    assert abs(created.timestamp_submitted - datetime.now()) < timedelta(seconds=2)
    age = datetime.now() - created.timestamp_submitted
    assert timedelta(0) <= age < timedelta(seconds=2)


def test_the_hold_rule_ages_portal_jobs_in_the_portals_time(
    berlin_time: None, adopt: Callable[[], orm.Database]
) -> None:
    db = adopt()
    portal_basics(db)
    now = datetime.now()
    window = timedelta(seconds=mqp_jobs.MAX_QUEUING_TIME)
    # Queued for a resource in maintenance: held for the queuing time, then released.
    held = orm_submit(
        db, target_specification="ts-maint", queued=True, timestamp_submitted=now - window / 2
    )
    nearly_expired = orm_submit(
        db,
        owner="bob",
        target_specification="ts-maint",
        queued=True,
        timestamp_submitted=now - window + timedelta(minutes=20),
    )
    expired = orm_submit(
        db,
        owner="carol",
        budget="carol-grant",
        target_specification="ts-maint",
        queued=True,
        timestamp_submitted=now - window - timedelta(minutes=20),
    )

    assert [job.id for job in mqp_jobs.fetch_all_pending_jobs()] == [expired]
    with db_session:
        assert [orm_job(db, i).status for i in (held, nearly_expired)] == ["PENDING", "PENDING"]


def test_cancel_stamps_the_portals_time_when_it_requeues(
    berlin_time: None, adopt: Callable[[], orm.Database]
) -> None:
    db = adopt()
    portal_basics(db)
    job_id = orm_submit(db, queued=True)
    mqp_jobs.fetch_all_pending_jobs()

    mqp_jobs.cancel_job(job_id, "QPU offline")

    with db_session:
        job = orm_job(db, job_id)
        assert (job.status, job.note, job.timestamp_scheduled) == ("PENDING", "QPU offline", None)
        assert abs(job.timestamp_cancelled - datetime.now()) < timedelta(seconds=1)


# --- the old callers' view of a job ------------------------------------------------------------


def test_jobs_answer_the_old_attribute_paths(
    berlin_time: None, adopt: Callable[[], orm.Database]
) -> None:
    db = adopt()
    portal_basics(db)
    on_qpu = orm_submit(db, owner="bob", target_specification="ts-qpu")
    by_technology = orm_submit(db, owner="bob", target_specification="ts-sim")

    jobs = {job.id: job for job in mqp_jobs.fetch_by_identity("bob")}
    job = jobs[on_qpu]
    assert job.owner.identity == "bob"
    assert job.budget.name == "grant"
    assert job.target_specification.name == "ts-qpu"
    assert job.target_specification.resource_name == "qpu"
    assert jobs[by_technology].target_specification.resource_name == ""
    assert job.executed_resource is None
    assert job.note == ""
    assert job.result == ""
    assert isinstance(job.cost, int)
    assert job.cost == 0
    age = datetime.now() - job.timestamp_submitted
    assert timedelta(0) <= age < timedelta(seconds=5)

    mqp_jobs.fetch_all_pending_jobs()
    mqp_jobs.complete_job_with_result(on_qpu, RESULT, "qpu", CIRCUIT)
    done = mqp_jobs.fetch_result_by_job_id_and_identity(on_qpu, "bob")
    assert done is not None
    assert done.executed_resource.name == "qpu"
    assert done.note == ""
    assert done.result == RESULT


def test_to_dict_is_the_portal_entitys_to_dict(adopted: orm.Database) -> None:
    portal_basics(adopted)
    pending = orm_submit(adopted, note="first try", target_specification="ts-sim")
    completed = orm_submit(adopted, owner="bob", cost=4)
    cancelled = orm_submit(adopted, queued=True, target_specification="ts-ghost")
    created = mqp_jobs.create_job(10, CIRCUIT, "alice", "grant", "ts-qpu", "qasm2", True)
    mqp_jobs.fetch_all_pending_jobs()
    mqp_jobs.complete_job_with_result(completed, RESULT, "qpu", CIRCUIT, "done")
    mqp_jobs.cancel_job(cancelled, "user asked")

    jobs = mqp_jobs.fetch_by_identity("alice") + mqp_jobs.fetch_by_identity("bob")
    assert sorted(job.id for job in jobs) == sorted([pending, completed, cancelled, created.id])
    with db_session:
        for job in jobs:
            portal = orm_job(adopted, job.id).to_dict()
            mine = job.to_dict()
            assert set(mine) == set(portal)
            assert mine == portal
            assert all(
                value is None or isinstance(value, (str, int, bool, datetime))
                for value in mine.values()
            )
            for key in ("owner", "budget", "target_specification", "executed_resource"):
                assert mine[key] is None or type(mine[key]) is str
            for key in ("timestamp_submitted", "timestamp_scheduled", "timestamp_completed"):
                assert mine[key] is None or mine[key].tzinfo is None
    assert {job.id: job.to_dict()["executed_resource"] for job in jobs}[completed] == "qpu"


def test_hamiltonian_to_dict_has_the_portal_entitys_keys(adopted: orm.Database) -> None:
    portal_basics(adopted)
    with db_session:
        job = adopted.HamiltonianJob(
            interaction_str="Z0",
            coefficients_str="[1.0]",
            owner="alice",
            budget="grant",
            target_specification="ts-sim",
        )
        orm.flush()
        job_id = job.id

    [mine] = mqp_jobs.fetch_hamiltonian_job_by_identity("alice")
    with db_session:
        portal = adopted.HamiltonianJob[job_id].to_dict()
    mine_dict = mine.to_dict()
    assert set(portal) <= set(mine_dict)
    assert {key: mine_dict[key] for key in portal} == portal


# --- the dashboard ---------------------------------------------------------------------------


def test_the_dashboards_calls_work_as_before(adopted: orm.Database) -> None:
    portal_basics(adopted)
    base = datetime(2025, 6, 1, 12, 0, 0)
    # Submission times out of id order, so ordering by time differs from ordering by id.
    statuses = ["COMPLETED", "PENDING", "CANCELLED", "WAITING", "COMPLETED", "PENDING"]
    minutes = [30, 10, 50, 0, 20, 40]
    ids = [
        orm_submit(adopted, status=status, timestamp_submitted=base + timedelta(minutes=m))
        for status, m in zip(statuses, minutes, strict=True)
    ]
    orm_submit(adopted, owner="bob")
    by_time = [i for _, i in sorted(zip(minutes, ids, strict=True))]

    def page(**kwargs: Any) -> dict[str, Any]:
        call: dict[str, Any] = {
            "identity": "alice",
            "page": 0,
            "jobs_per_page": 20,
            "order": "DESC",
            "order_by": "ID",
            "filter_query": None,
        }
        call.update(kwargs)
        return mqp_jobs.fetch_by_identity_pages(**call)

    first = page()
    assert first["totaljob_nr"] == 6
    assert [job.id for job in first["jobs"]] == sorted(ids, reverse=True)
    assert all(job.owner.identity == "alice" for job in first["jobs"])
    assert [job.id for job in page(order="ASC", jobs_per_page=4, page=1)["jobs"]] == ids[4:]

    for order_by in ("timestamp_submitted", "DATE"):
        assert [job.id for job in page(order_by=order_by)["jobs"]] == by_time[::-1]
        assert [job.id for job in page(order_by=order_by, order="ASC")["jobs"]] == by_time
    for order_by in ("status", "STATUS"):
        listed = page(order_by=order_by)["jobs"]
        assert [job.status for job in listed] == sorted(statuses, reverse=True)
        assert sorted(job.id for job in listed) == sorted(ids)

    assert page(filter_query="SUBMITTED") == {"jobs": [], "totaljob_nr": 0}
    completed = page(filter_query="COMPLETED")
    assert completed["totaljob_nr"] == 2
    assert [job.id for job in completed["jobs"]] == [ids[4], ids[0]]
    cancelled = page(filter_query="CANCELLED")
    assert [job.id for job in cancelled["jobs"]] == [ids[2]]

    # The dashboard serialises every job of a page with to_dict().
    with db_session:
        for job in first["jobs"]:
            assert job.to_dict() == orm_job(adopted, job.id).to_dict()


# --- budgets -------------------------------------------------------------------------------


def test_a_group_member_may_charge_the_groups_budget(adopted: orm.Database) -> None:
    portal_basics(adopted)

    as_owner = mqp_jobs.create_job(10, CIRCUIT, "alice", "grant", "ts-qpu", "qasm2")
    as_member = mqp_jobs.create_job(10, CIRCUIT, "bob", "grant", "ts-qpu", "qasm2")
    with pytest.raises(mqp_jobs.BudgetNotAllowed):
        mqp_jobs.create_job(10, CIRCUIT, "carol", "grant", "ts-qpu", "qasm2")
    with pytest.raises(mqp_jobs.BudgetNotAllowed):
        mqp_jobs.create_hamiltonian_job("Z0", "[1.0]", "carol", "grant", "ts-sim")

    with db_session:
        assert [
            (job.id, job.owner.identity, job.budget.name)
            for job in adopted.CircuitJob.select().order_by(adopted.CircuitJob.id)
        ] == [(as_owner.id, "alice", "grant"), (as_member.id, "bob", "grant")]


def test_budget_rights_follow_the_portals_group_changes(adopted: orm.Database) -> None:
    portal_basics(adopted)
    with db_session:
        adopted.UserGroup["other-lab"].budgets.add(adopted.Budget["grant"])

    mqp_jobs.create_job(10, CIRCUIT, "carol", "grant", "ts-qpu", "qasm2")

    with db_session:
        adopted.User["bob"].user_groups.remove(adopted.UserGroup["lab"])
    with pytest.raises(mqp_jobs.BudgetNotAllowed):
        mqp_jobs.create_job(10, CIRCUIT, "bob", "grant", "ts-qpu", "qasm2")
