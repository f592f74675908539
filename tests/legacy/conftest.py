"""The portal's own database, as its ORM makes it, adopted by mqp_jobs.

Every test gets a fresh, empty database on the test server (no mqp_jobs schema in it): the
portal's Pony entities create their tables there (``portal_orm``), the test may fill them
through the ORM, and ``adopt()`` then runs ``mqp_jobs.migrate`` on it and points the
module-level functions at it, as an installation of the package in the portal would.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pony.orm as orm
import psycopg
import pytest
from conftest import HOST, PORT, USER
from psycopg.conninfo import make_conninfo
from pytest_postgresql import factories

import mqp_jobs

from .entities import define_portal_entities

portal_server = factories.postgresql_noproc(
    host=HOST, port=PORT, user=USER, dbname=f"mqp_jobs_portal_{os.getpid()}"
)
portal_postgresql = factories.postgresql("portal_server")


@pytest.fixture
def portal_conninfo(portal_postgresql: psycopg.Connection) -> str:
    """The fresh, empty database of this test, as a conninfo string."""
    info = portal_postgresql.info
    return make_conninfo(host=info.host, port=info.port, user=info.user, dbname=info.dbname)


@pytest.fixture
def portal_db(portal_postgresql: psycopg.Connection) -> psycopg.Connection:
    """A direct, autocommit connection to the portal's database, for checking rows."""
    portal_postgresql.autocommit = True
    return portal_postgresql


@pytest.fixture
def qdb(portal_conninfo: str) -> Iterator[psycopg.Connection]:
    """An open psycopg connection to the portal's database, in a transaction: what the package
    takes as ``qdb`` where the old module took the ORM's Database (CONTRACT section 3)."""
    with psycopg.connect(portal_conninfo) as conn:
        yield conn
        conn.rollback()


@pytest.fixture
def portal_orm(portal_postgresql: psycopg.Connection) -> Iterator[orm.Database]:
    """The portal's ORM bound to the fresh database, its tables created the portal's way."""
    info = portal_postgresql.info
    db = orm.Database()
    db.bind(
        provider="postgres",
        host=info.host,
        port=info.port,
        user=info.user,
        database=info.dbname,
    )
    define_portal_entities(db)
    db.generate_mapping(create_tables=True)
    yield db
    # Pony keeps one connection per thread; close it so the database can be dropped.
    db.disconnect()


@pytest.fixture
def adopt(portal_orm: orm.Database, portal_conninfo: str) -> Iterator[Callable[[], orm.Database]]:
    """Call to adopt the portal's database: migrate it, then configure the module functions.

    Rows the ORM wrote before the call are the portal's existing rows. Returns the ORM.
    """
    configured = False

    def run() -> orm.Database:
        nonlocal configured
        mqp_jobs.migrate(portal_conninfo)
        mqp_jobs.configure(portal_conninfo, min_size=1, max_size=4)
        configured = True
        return portal_orm

    yield run
    if configured:
        mqp_jobs.close()


@pytest.fixture
def adopted(adopt: Callable[[], orm.Database]) -> orm.Database:
    """The portal's ORM over a database mqp_jobs has adopted while it was still empty."""
    return adopt()


@pytest.fixture
def empty_db(adopted: orm.Database) -> orm.Database:
    """The old project's name for the ORM over empty portal tables."""
    return adopted


@pytest.fixture
def seeded_db(portal_orm: orm.Database, adopt: Callable[[], orm.Database]) -> orm.Database:
    """The old project's seeded test database, written by the ORM, then adopted."""
    seed_portal(portal_orm)
    return adopt()


@pytest.fixture
def berlin_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in Europe/Berlin, a zone that is neither the host's nor the server's (both UTC).

    Request it before anything that configures mqp_jobs: the package takes its zone when a
    store is created.
    """
    monkeypatch.delenv("MQP_TIMEZONE", raising=False)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# The users, budget, groups, resources, targets and jobs the old project's tests start from.
SEED_USERS = (
    "test_user",
    "test_user2",
    "portal_test_user",
    "test_eqe_user",
    "blocked_test_user",
    "ldap_test_user",
)
SEED_RESULT = '{"10": 76, "11": 425, "01": 91, "00": 408}'
SEED_OLD_TIME = datetime(2024, 7, 17, 11, 17, 32, 397618)


def seed_portal(db: orm.Database) -> None:
    """Fill the portal's tables as the old project's test database was filled."""
    now = datetime.now()
    with orm.db_session:
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
            identity: db.User(
                identity=identity,
                security_level=level,
                email=f"{identity}@test.mail",
                affiliation="TEST_HPC_CENTER",
                association="LDAP" if identity.startswith(("ldap", "blocked")) else "QUANTUM",
                secret_hash="" if identity.startswith("ldap") else "test-secret-hash",
                blocked=identity == "blocked_test_user",
                block_reason="Testing blocked user" if identity == "blocked_test_user" else "",
            )
            for identity in SEED_USERS
        }
        budget = db.Budget(name="temp_budget", owner=users["test_user"], credits=1000)
        test_group = db.UserGroup(
            name="TEST_USER_GROUP", owner=users["test_user"], cost_modifier=1.0
        )
        test_group.users.add([users["test_user"], users["test_user2"]])
        budget.user_groups.add(test_group)
        eqe_group = db.UserGroup(name="EQE", owner=users["test_user"], cost_modifier=1.0)
        eqe_group.users.add(users["test_eqe_user"])
        edu_group = db.UserGroup(name="MQP_EDU", owner=users["portal_test_user"], cost_modifier=1.0)
        edu_group.users.add(users["portal_test_user"])

        resource_level = db.ResourceSecurityLevel(
            name="BASIC",
            job_min_interval=10,
            budget_max_per_job=10,
            unique_token_required=False,
            token_max_lifetime=10,
        )
        for number, maintenance in ((1, False), (2, True)):
            db.Resource(
                name=f"TEST_QPU_{number}",
                maintenance=maintenance,
                qubits=5,
                connectivity="all-to-all",
                instructions="h,cx,measure",
                quantum_technology="superconducting",
                num_queued_jobs=1,
                resource_cost_modifier=1,
                security_level=resource_level,
            )
            db.TargetSpecification(
                name=f"TS_TEST_QPU_{number}",
                specification_type="resource",
                minimum_qubits="1",
                quantum_technology="superconducting",
                resource_name=f"TEST_QPU_{number}",
            )

        common = {
            "circuit": "OPENQASM 2.0;",
            "circuit_format": "qasm",
            "no_modify": True,
            "cost": 0,
            "result": SEED_RESULT,
            "budget": budget,
            "executed_circuit": "OPENQASM 2.0;",
        }
        # Queued jobs of a group member, one on a resource in maintenance.
        for job_id, number in ((201, 1), (202, 2)):
            db.CircuitJob(
                id=job_id,
                note=f"JOB_PENDING_QUEUED_TEST_QPU_{number}",
                status="PENDING",
                shots=1,
                timestamp_submitted=now,
                owner=users["test_user2"],
                executed_resource=f"TEST_QPU_{number}",
                target_specification=f"TS_TEST_QPU_{number}",
                queued=True,
                **common,
            )
        # The budget owner's history: one pending, one cancelled, one completed.
        for job_id, status, queued in (
            (111, "PENDING", False),
            (112, "CANCELLED", True),
            (113, "COMPLETED", True),
        ):
            db.CircuitJob(
                id=job_id,
                status=status,
                shots=200,
                timestamp_submitted=now,
                timestamp_completed=SEED_OLD_TIME,
                owner=users["test_user"],
                executed_resource="TEST_QPU_1",
                target_specification="TS_TEST_QPU_1",
                queued=queued,
                **common,
            )
