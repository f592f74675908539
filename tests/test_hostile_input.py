"""Whatever a careless or hostile caller sends: a documented error or a correct answer, never a
driver error, never another user's job."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from conftest import Portal, count_rows
from helpers import set_status, submit, submit_hamiltonian
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import mqp_jobs
from mqp_jobs import (
    BudgetNotAllowed,
    CircuitJob,
    ClaimFilter,
    InvalidArgument,
    InvalidJob,
    InvalidQuery,
    JobNotFound,
    JobStore,
    MqpJobsError,
    RequeuedJobs,
    UnknownBudget,
    UnknownOwner,
    UnknownTargetSpec,
)
from mqp_jobs import validation as check
from mqp_jobs.reads import PAGE_ORDER_COLUMNS

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=10),
    st.lists(st.text(max_size=5), max_size=3),
)
sql_text = st.sampled_from(
    ["' OR '1'='1", "'; DROP TABLE circuit_job; --", '"', "\\", "\x00", "%s", "%(x)s", "$1"]
)
names = st.one_of(st.text(max_size=30), sql_text, st.sampled_from(["alice", "bob", "ALICE"]))

# What PostgreSQL text cannot hold: NUL, and surrogate code points (a lone "\ud800", or the
# two halves of a pair as separate code points), which a Python str may hold but UTF-8 cannot.
odd_characters = st.sampled_from(["\x00", "\ud800", "\udfff", "\udbff", "\udc00"])
hostile_text = st.one_of(
    st.text(alphabet=st.one_of(st.characters(), odd_characters), max_size=12),
    st.tuples(
        st.sampled_from(["", "alice", "PENDING", "qpu-a", "lab-shared", "target-qpu-a", "12"]),
        st.one_of(odd_characters, st.just("\ud83d\ude00")),
        st.sampled_from(["", "x", "alice"]),
    ).map("".join),
)
# Python writes and reads ints of at most 4,300 decimal digits. (Built from their number of
# digits: hypothesis could not write a strategy holding such an int in its reports.)
huge_ints = st.one_of(
    st.sampled_from([2**31, 2**63 - 1, 2**63, -(2**63) - 1]),
    st.tuples(st.sampled_from([1, -1]), st.integers(min_value=4300, max_value=6000)).map(
        lambda pair: pair[0] * 10 ** pair[1]
    ),
)
huge_digit_strings = st.one_of(
    st.sampled_from(
        ["1" * 5000, "9" * 4301, "0" * 4999 + "7", f" {'3' * 5000}\n", "9223372036854775808"]
    ),
    st.integers(min_value=19, max_value=6000).map(lambda digits: "9" * digits),
)
# The database cannot subtract much more than 6,000 years from today.
huge_timedeltas = st.one_of(
    st.sampled_from(
        [
            timedelta.max,
            timedelta.min,
            timedelta(days=10**6),
            timedelta(days=10**5),
            timedelta(days=-1),
            timedelta(microseconds=-1),
        ]
    ),
    st.timedeltas(),
)
wrong_types = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers()),
    st.lists(st.one_of(huge_ints, hostile_text), max_size=2),
    st.builds(object),
    st.just(timedelta(hours=1)),
)


def hostile(*, huge_int_values: bool = True) -> st.SearchStrategy[object]:
    """Any hostile value; ``huge_int_values=False`` leaves out ints of more than 4,300 digits
    (once the transitions could not name such an id in their errors)."""
    ints = huge_ints if huge_int_values else huge_ints.filter(lambda n: abs(n) < 10**4300)
    return st.one_of(
        names,
        anything,
        sql_text,
        hostile_text,
        huge_digit_strings,
        huge_timedeltas,
        wrong_types,
        ints,
    )


HOSTILE = hostile()
HOSTILE_FOR_TRANSITIONS = hostile()


@pytest.fixture
def queue(store: JobStore, portal: Portal, db: psycopg.Connection) -> dict[str, list[int]]:
    alice = [submit(store, portal, shots=n + 1).id for n in range(6)]
    bob = [submit(store, portal, by=portal.bob).id for _ in range(4)]
    set_status(db, "circuit_job", alice[2], "COMPLETED")
    set_status(db, "circuit_job", bob[0], "COMPLETED")
    return {"alice": alice, "bob": bob}


def spoiled(
    valid: dict[str, st.SearchStrategy[object]], hostile: st.SearchStrategy[object]
) -> st.SearchStrategy[dict[str, object]]:
    """Valid arguments with up to two of them replaced by hostile values, so that both the
    accepted and the refused paths are exercised."""
    return st.tuples(
        st.fixed_dictionaries(valid),
        st.dictionaries(st.sampled_from(sorted(valid)), hostile, max_size=2),
    ).map(lambda pair: {**pair[0], **pair[1]})


PAGE_ARGUMENTS = spoiled(
    {
        "identity": st.sampled_from(["alice", "bob", "carol"]),
        "page": st.integers(min_value=0, max_value=3),
        "jobs_per_page": st.integers(min_value=1, max_value=1000),
        "order": st.sampled_from(["asc", "DESC", " Asc "]),
        "order_by": st.sampled_from([*PAGE_ORDER_COLUMNS, "date", "DATE", "Shots", "", None]),
        "filter_query": st.sampled_from(["", None, "pending", "Completed", "WAITING"]),
    },
    st.one_of(HOSTILE, st.integers(min_value=-3, max_value=10**20)),
)


@SETTINGS
@given(args=PAGE_ARGUMENTS)
def test_dashboard_pages(store: JobStore, queue: dict[str, list[int]], args: dict) -> None:
    try:
        answer = store.fetch_by_identity_pages(**args)
    except InvalidQuery:
        event("refused")
        return
    event("answered")
    identity, filter_query = args["identity"], args["filter_query"]
    assert set(answer) == {"jobs", "totaljob_nr"}
    wanted = [
        j
        for j in store.fetch_by_identity(identity)
        if not filter_query or j.status == filter_query.strip().upper()
    ]
    assert answer["totaljob_nr"] == len(wanted)
    assert all(isinstance(j, CircuitJob) and j.owner == identity for j in answer["jobs"])
    start = args["page"] * args["jobs_per_page"]
    assert len(answer["jobs"]) == len(wanted[start : start + args["jobs_per_page"]])
    assert {j.id for j in answer["jobs"]} <= {j.id for j in wanted}


LOOKUP_ARGUMENTS = spoiled(
    {
        "job_id": st.one_of(
            st.integers(min_value=1, max_value=12),
            st.integers(min_value=1, max_value=12).map(lambda n: f" {n}\n"),
        ),
        "identity": st.sampled_from(["alice", "bob"]),
    },
    st.one_of(
        HOSTILE,
        st.integers(min_value=1, max_value=12).map(lambda n: f"{n} OR 1=1"),
        st.integers(min_value=1, max_value=12).map(lambda n: "0" * 5000 + str(n)),
    ),
)


def spelled_number(job_id: object) -> Decimal | None:
    """The number an id argument spells (an int or a decimal string), read without Python's
    limit of 4,300 digits; None for anything else."""
    if isinstance(job_id, bool):
        return None
    if isinstance(job_id, int):
        return Decimal(job_id)
    if isinstance(job_id, str) and job_id.strip().isascii() and job_id.strip().isdecimal():
        return Decimal(job_id.strip())
    return None


@SETTINGS
@given(args=LOOKUP_ARGUMENTS)
def test_result_lookup(store: JobStore, queue: dict[str, list[int]], args: dict) -> None:
    job_id, identity = args["job_id"], args["identity"]
    try:
        job = store.fetch_result_by_job_id_and_identity(job_id, identity)
    except InvalidQuery:
        assert not isinstance(identity, str)
        return
    event("found" if job is not None else "none")
    number = spelled_number(job_id)
    if job is not None:
        assert job.owner == identity
        assert number == job.id
    elif isinstance(identity, str) and number is not None:
        assert number not in queue.get(identity, [])


JOB_ARGUMENTS = spoiled(
    {
        "shots": st.integers(min_value=1, max_value=10**6),
        "circuit": st.text(min_size=1, max_size=50).filter(lambda t: t.strip() and "\x00" not in t),
        "owner": st.sampled_from(["alice", "bob"]),
        "budget": st.sampled_from(["lab-shared"]),
        "target_spec": st.sampled_from(["target-qpu-a", "target-unbuilt", "target-any-simulator"]),
        "circuit_format": st.sampled_from(["qasm2", "qasm3", "qir"]),
        "no_modify": st.booleans(),
        "queued": st.booleans(),
    },
    st.one_of(HOSTILE, st.integers(min_value=-5, max_value=2**40)),
)


@SETTINGS
@given(args=JOB_ARGUMENTS)
def test_job_submission(
    store: JobStore, portal: Portal, db: psycopg.Connection, args: dict
) -> None:
    before = count_rows(db, "circuit_job")
    try:
        job = store.create_job(**args)
    except (InvalidJob, UnknownOwner, UnknownBudget, BudgetNotAllowed, UnknownTargetSpec) as exc:
        event(type(exc).__name__)
        assert count_rows(db, "circuit_job") == before
        return
    event("accepted")
    assert (job.shots, job.circuit, job.owner, job.budget) == (
        args["shots"],
        args["circuit"],
        args["owner"],
        args["budget"],
    )
    assert (job.target_specification, job.no_modify, job.queued) == (
        args["target_spec"],
        args["no_modify"],
        args["queued"],
    )
    assert job.status == "PENDING"
    assert count_rows(db, "circuit_job") == before + 1


# --- Every public function, with whatever a hostile caller may send --------------------------
#
# Each function is called with valid arguments of which up to two are replaced by hostile
# values: lone surrogates and NUL in text, ints and decimal strings of thousands of digits,
# timedeltas the database cannot subtract, values of the wrong type. Each call must answer or
# raise an MqpJobsError, and a refused call must leave every table as it was.


def spoiled_args(
    valid: dict[str, st.SearchStrategy[object]],
    bad: st.SearchStrategy[object] = HOSTILE,
) -> st.SearchStrategy[dict[str, object]]:
    """``spoiled``, also for a function without arguments."""
    return spoiled(valid, bad) if valid else st.just({})


@dataclass(frozen=True, repr=False)
class World:
    """A small portal with jobs in every status a transition may meet."""

    circuit_jobs: list[CircuitJob]
    circuit_ids: list[int]
    hamiltonian_ids: list[int]

    def __repr__(self) -> str:  # short, for hypothesis's reports
        return f"World(circuit_ids={self.circuit_ids}, hamiltonian_ids={self.hamiltonian_ids})"


@pytest.fixture
def world(api: None, store: JobStore, portal: Portal) -> World:
    alice = [submit(store, portal, shots=n + 1) for n in range(5)]
    bob = [submit(store, portal, by=portal.bob, target_spec=portal.sim_target) for _ in range(2)]
    claimed = store.claim_jobs(limit=3)
    store.complete_job_with_result(claimed[0].id, "result", portal.qpu, "executed")
    store.cancel_job(alice[-1].id, "not needed")
    hamiltonian = [submit_hamiltonian(store, portal).id for _ in range(3)]
    store.fetch_all_pending_hamiltonian_jobs(limit=1)
    circuit_ids = [job.id for job in alice + bob]
    return World(circuit_jobs=[*alice, *bob], circuit_ids=circuit_ids, hamiltonian_ids=hamiltonian)


def ids(known: list[int]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.sampled_from(known), st.sampled_from(known).map(lambda n: f" {n}\n"), st.just(999_999)
    )


users = st.sampled_from(["alice", "bob", "carol"])
user_lists = st.lists(users, max_size=3)
resources = st.sampled_from(["qpu-a", "qpu-b", "qpu-not-installed"])
budgets = st.sampled_from(["alice-grant", "lab-shared", "bob-grant", "new-budget"])
targets = st.sampled_from(["target-qpu-a", "target-any-simulator", "target-unbuilt", "nowhere"])
notes = st.sampled_from(["", None, "done", "resource offline", "down for maintenance"])
texts = st.sampled_from(["", None, "{}", "[1, 2]", "OPENQASM 2.0;"])
limits = st.one_of(st.none(), st.integers(min_value=0, max_value=5))
attempts = st.one_of(st.none(), st.integers(min_value=0, max_value=2))
durations = st.one_of(
    st.sampled_from([timedelta(0), timedelta(hours=1), timedelta.max, timedelta(days=10**6)]),
    st.timedeltas(min_value=timedelta(0)),
)


claim_filters = st.one_of(
    st.none(),
    st.builds(
        ClaimFilter,
        users=st.one_of(st.none(), user_lists),
        not_users=st.one_of(st.none(), user_lists),
        resource=st.one_of(st.none(), resources),
        not_resources=st.one_of(st.none(), st.lists(resources, max_size=2)),
    ),
    st.builds(ClaimFilter, reserved_resource=resources, reserved_for=user_lists, users=st.none()),
)


def _job_fields() -> dict[str, st.SearchStrategy[object]]:
    return {
        "shots": st.integers(min_value=1, max_value=1000),
        "circuit": st.sampled_from(["OPENQASM 2.0;", "h q[0];"]),
        "owner": users,
        "budget": budgets,
        "target_spec": targets,
        "circuit_format": st.sampled_from(["qasm2", "qir"]),
        "no_modify": st.booleans(),
        "queued": st.booleans(),
    }


def _completion_fields(known: list[int]) -> dict[str, st.SearchStrategy[object]]:
    return {
        "job_id": ids(known),
        "result": texts,
        "executed_resource": resources,
        "executed_circuit": texts,
        "note": notes,
        "attempt": attempts,
    }


def batch(
    entry: dict[str, st.SearchStrategy[object]], bad: st.SearchStrategy[object]
) -> st.SearchStrategy[list[dict[str, object]]]:
    """A list of entries, each of which may itself be spoiled."""
    return st.lists(spoiled(entry, bad), max_size=3)


Cases = Callable[[World], st.SearchStrategy[dict[str, object]]]

CASES: dict[str, Cases] = {
    # Reference data
    "create_user": lambda w: spoiled_args({"identity": users}),
    "create_budget": lambda w: spoiled_args(
        {"name": budgets, "owner": users, "members": user_lists}
    ),
    "create_user_group": lambda w: spoiled_args(
        {"name": st.sampled_from(["lab", "lab-shared"]), "owner": users, "members": user_lists}
    ),
    "link_user_group_to_budget": lambda w: spoiled_args(
        {"user_group": st.sampled_from(["lab-shared", "none"]), "budget": budgets}
    ),
    "create_resource": lambda w: spoiled_args({"name": resources, "maintenance": st.booleans()}),
    "set_resource_maintenance": lambda w: spoiled_args(
        {"name": resources, "maintenance": st.booleans()}
    ),
    "create_target_spec": lambda w: spoiled_args(
        {"name": targets, "resource_name": st.one_of(resources, st.sampled_from(["", None]))}
    ),
    # Submitting
    "create_job": lambda w: spoiled_args(_job_fields()),
    "create_jobs": lambda w: spoiled_args({"jobs": batch(_job_fields(), HOSTILE)}),
    "create_hamiltonian_job": lambda w: spoiled_args(
        {
            "interaction_str": st.sampled_from(["Z0 Z1", "X0"]),
            "coefficients_str": st.sampled_from(["[1.0]", "[0.5, 0.5]"]),
            "owner": users,
            "budget": budgets,
            "target_spec": targets,
        }
    ),
    # Claims
    "claim_jobs": lambda w: spoiled_args({"filter": claim_filters, "limit": limits}),
    "fetch_all_pending_jobs": lambda w: spoiled_args({"limit": limits}),
    "fetch_all_pending_jobs_from_users": lambda w: spoiled_args(
        {"userids": user_lists, "limit": limits}
    ),
    "fetch_all_pending_jobs_for_resource_from_users": lambda w: spoiled_args(
        {"resource": resources, "userids": user_lists, "limit": limits}
    ),
    "fetch_all_pending_jobs_for_resource_not_from_users": lambda w: spoiled_args(
        {"resource": resources, "userids": user_lists, "limit": limits}
    ),
    "fetch_all_pending_jobs_except_for_resources": lambda w: spoiled_args(
        {"resources": st.lists(resources, max_size=2), "limit": limits}
    ),
    "fetch_all_pending_jobs_except_for_resource_not_from_users": lambda w: spoiled_args(
        {"resource": resources, "userids": user_lists, "limit": limits}
    ),
    "fetch_all_pending_hamiltonian_jobs": lambda w: spoiled_args({"limit": limits}),
    # In the caller's transaction (qdb is passed by the test, never spoiled)
    "filter_queued_if_offline_and_fetch": lambda w: spoiled_args(
        {
            "jobs": st.lists(
                st.one_of(st.sampled_from(w.circuit_jobs), st.sampled_from(w.circuit_ids), HOSTILE),
                max_size=3,
            )
        }
    ),
    "is_within_active_job_limit": lambda w: spoiled_args({"job": st.sampled_from(w.circuit_jobs)}),
    # After a claim
    "complete_job_with_result": lambda w: spoiled_args(
        _completion_fields(w.circuit_ids), HOSTILE_FOR_TRANSITIONS
    ),
    "complete_hamiltonian_job_with_result": lambda w: spoiled_args(
        _completion_fields(w.hamiltonian_ids), HOSTILE_FOR_TRANSITIONS
    ),
    "complete_jobs_with_results": lambda w: spoiled_args(
        {"completions": batch(_completion_fields(w.circuit_ids), HOSTILE_FOR_TRANSITIONS)},
        HOSTILE_FOR_TRANSITIONS,
    ),
    "complete_hamiltonian_jobs_with_results": lambda w: spoiled_args(
        {"completions": batch(_completion_fields(w.hamiltonian_ids), HOSTILE_FOR_TRANSITIONS)},
        HOSTILE_FOR_TRANSITIONS,
    ),
    "cancel_job": lambda w: spoiled_args(
        {"job_id": ids(w.circuit_ids), "note": notes}, HOSTILE_FOR_TRANSITIONS
    ),
    "cancel_hamiltonian_job": lambda w: spoiled_args(
        {"job_id": ids(w.hamiltonian_ids), "note": notes}, HOSTILE_FOR_TRANSITIONS
    ),
    "fail_job": lambda w: spoiled_args(
        {"job_id": ids(w.circuit_ids), "note": notes, "attempt": attempts},
        HOSTILE_FOR_TRANSITIONS,
    ),
    "fail_hamiltonian_job": lambda w: spoiled_args(
        {"job_id": ids(w.hamiltonian_ids), "note": notes, "attempt": attempts},
        HOSTILE_FOR_TRANSITIONS,
    ),
    "update_hybrid_job": lambda w: spoiled_args(
        {
            "job_id": ids(w.hamiltonian_ids),
            "epochs": st.integers(min_value=0, max_value=100),
            "params": texts,
            "parametric_circuit": texts,
            "note": notes,
        },
        HOSTILE_FOR_TRANSITIONS,
    ),
    # Keeping the queue healthy
    "requeue_stale_jobs": lambda w: spoiled_args({"older_than": durations}),
    "queue_stats": lambda w: spoiled_args({}),
    "job_history": lambda w: spoiled_args(
        {"job_id": ids(w.circuit_ids), "kind": st.sampled_from(["circuit", "hamiltonian"])}
    ),
    # Reads
    "fetch_by_identity": lambda w: spoiled_args({"identity": users}),
    "fetch_by_identity_pages": lambda w: PAGE_ARGUMENTS,
    "fetch_hamiltonian_job_by_identity": lambda w: spoiled_args({"identity": users}),
    "fetch_hamiltonian_job_by_task_id": lambda w: spoiled_args({"task_id": ids(w.hamiltonian_ids)}),
    "fetch_result_by_job_id_and_identity": lambda w: spoiled_args(
        {"job_id": ids(w.circuit_ids), "identity": users}
    ),
    "fetch_all_waiting_jobs": lambda w: spoiled_args({}),
    "fetch_all_waiting_hamiltonian_jobs": lambda w: spoiled_args({}),
}

IN_CALLERS_TRANSACTION = {"filter_queued_if_offline_and_fetch", "is_within_active_job_limit"}
READS = {
    "queue_stats",
    "job_history",
    "fetch_by_identity",
    "fetch_by_identity_pages",
    "fetch_hamiltonian_job_by_identity",
    "fetch_hamiltonian_job_by_task_id",
    "fetch_result_by_job_id_and_identity",
    "fetch_all_waiting_jobs",
    "fetch_all_waiting_hamiltonian_jobs",
}
NOT_CALLED = {
    "configure": "points the package at a database: its arguments are the test's own",
    "close": "takes no argument",
    "migrate": "takes a conninfo, tested in test_migrate and test_config",
    "default_store": "takes no argument",
    "grant_app_role": "administration, tested in test_least_privilege",
    "wait_for_pending_jobs": "blocks for its timeout; its bad timeouts are in KNOWN_ESCAPES",
    "resolve_conninfo": "chooses a conninfo and reads no database, tested in test_config",
    "schema_migrations": "reads the package's own files; a misnamed one is in test_queries",
}


def test_every_public_function_meets_hostile_input() -> None:
    public = {
        name for name in mqp_jobs.__all__ if inspect.isfunction(getattr(mqp_jobs, name, None))
    }
    assert public == set(CASES) | set(NOT_CALLED)


def contents(db: psycopg.Connection) -> dict[str, str]:
    """Every table of the schema, as a digest of its rows."""
    tables = [
        found[0]
        for found in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    ]
    digests = psycopg.sql.SQL(", ").join(
        psycopg.sql.SQL(
            "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} AS t)"
        ).format(psycopg.sql.Identifier(table))
        for table in tables
    )
    found = db.execute(psycopg.sql.SQL("SELECT ") + digests).fetchone()
    assert found is not None
    return dict(zip(tables, found, strict=True))


# The functions in a few groups, each tested against one database (made afresh for each test,
# which costs more than a hundred calls), the function drawn with its arguments.
GROUPS = {
    "reference data and submission": [
        "create_user",
        "create_budget",
        "create_user_group",
        "link_user_group_to_budget",
        "create_resource",
        "set_resource_maintenance",
        "create_target_spec",
        "create_job",
        "create_jobs",
        "create_hamiltonian_job",
    ],
    "claims": [name for name in CASES if "pending" in name or name == "claim_jobs"]
    + sorted(IN_CALLERS_TRANSACTION),
    "transitions and requeueing": [
        "complete_job_with_result",
        "complete_hamiltonian_job_with_result",
        "complete_jobs_with_results",
        "complete_hamiltonian_jobs_with_results",
        "cancel_job",
        "cancel_hamiltonian_job",
        "fail_job",
        "fail_hamiltonian_job",
        "update_hybrid_job",
        "requeue_stale_jobs",
    ],
    "reads": sorted(READS),
}


def test_every_function_is_in_one_group() -> None:
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(CASES)


WIDE = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("group", sorted(GROUPS))
@WIDE
@given(data=st.data())
def test_hostile_arguments_are_answered_or_refused(
    group: str, world: World, db: psycopg.Connection, conninfo: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(GROUPS[group]), label="function")
    args = data.draw(CASES[name](world), label="arguments")
    function = getattr(mqp_jobs, name)
    before = contents(db)
    try:
        if name in IN_CALLERS_TRANSACTION:
            with psycopg.connect(conninfo) as qdb:  # commits on success, rolls back on error
                function(qdb, **args)
        else:
            function(**args)
    except MqpJobsError as exc:
        event(f"{name}: {type(exc).__name__}")
        assert contents(db) == before, f"a refused {name} changed the database"
        return
    event(f"{name}: answered")
    if name in READS:
        assert contents(db) == before, f"{name} changed the database"


# --- The reproductions ----------------------------------------------------------------


def test_a_lone_surrogate_in_a_circuit_is_refused(
    api: None, portal: Portal, db: psycopg.Connection
) -> None:
    with pytest.raises(InvalidJob, match="surrogates"):
        mqp_jobs.create_job(
            10, "\ud800", portal.alice, portal.alice_budget, portal.qpu_target, "qasm2"
        )
    assert count_rows(db, "circuit_job") == 0


@pytest.mark.parametrize("identity", ["\ud800", "alice\ud800", "\udbff\udc00"])
def test_a_lone_surrogate_identity_owns_no_job(
    api: None, store: JobStore, portal: Portal, identity: str
) -> None:
    submit(store, portal)
    assert mqp_jobs.fetch_by_identity(identity) == []
    assert mqp_jobs.fetch_hamiltonian_job_by_identity(identity) == []
    assert mqp_jobs.fetch_result_by_job_id_and_identity(1, identity) is None
    page = mqp_jobs.fetch_by_identity_pages(identity, 0, 10, "ASC", "id", None)
    assert page == {"jobs": [], "totaljob_nr": 0}


@pytest.mark.parametrize("status", ["\ud800", "PENDING\ud800", "PENDING\x00"])
def test_a_status_filter_no_job_can_have_lists_nothing(
    api: None, store: JobStore, portal: Portal, status: str
) -> None:
    submit(store, portal)
    page = mqp_jobs.fetch_by_identity_pages(portal.alice, 0, 10, "ASC", "id", status)
    assert page == {"jobs": [], "totaljob_nr": 0}
    with pytest.raises(InvalidQuery):
        mqp_jobs.fetch_by_identity_pages(portal.alice, 0, 10, "ASC", "id\ud800", None)
    with pytest.raises(InvalidQuery):
        mqp_jobs.fetch_by_identity_pages(portal.alice, 0, 10, "\ud800", "id", None)


def test_an_id_of_5000_digits_names_no_job(
    api: None, store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job = submit(store, portal)
    before = contents(db)
    assert mqp_jobs.fetch_result_by_job_id_and_identity("1" * 5000, portal.alice) is None
    assert mqp_jobs.fetch_hamiltonian_job_by_task_id("1" * 5000) == []
    with pytest.raises(JobNotFound):
        mqp_jobs.cancel_job("1" * 5000, "not needed")
    assert contents(db) == before
    # Leading zeros are read as int() reads them, however many there are.
    padded = "0" * 5000 + str(job.id)
    found = mqp_jobs.fetch_result_by_job_id_and_identity(padded, portal.alice)
    assert found is not None and found.id == job.id


@pytest.mark.parametrize(
    ("value", "number"),
    [("1" * 5000, None), ("0" * 4999 + "7", 7), (f" {'9' * 19}\n", None), (10**5000, None)],
    ids=["5000-ones", "zero-padded-7", "beyond-bigint", "int-of-5000-digits"],
)
def test_job_ids_of_any_length(value: object, number: int | None) -> None:
    assert check.job_id(value) == number


@pytest.mark.parametrize(
    "value",
    [[10**5000], "\ud800", "1\x00", 1.0, b"1"],
    ids=["list-of-a-huge-int", "surrogate", "nul", "float", "bytes"],
)
def test_a_malformed_id_is_an_invalid_argument(value: object) -> None:
    with pytest.raises(InvalidArgument):
        check.job_id(value)


@pytest.mark.parametrize("older_than", [timedelta.max, timedelta(days=10**6)])
def test_requeue_after_longer_than_any_job_waited_requeues_nothing(
    api: None, store: JobStore, portal: Portal, db: psycopg.Connection, older_than: timedelta
) -> None:
    submit(store, portal)
    [claimed] = store.claim_jobs()
    db.execute(
        "UPDATE circuit_job SET timestamp_scheduled = timestamp_scheduled - interval '1 day'"
    )
    assert mqp_jobs.requeue_stale_jobs(older_than) == RequeuedJobs(circuit=[], hamiltonian=[])
    assert store.fetch_all_waiting_jobs()[0].id == claimed.id
    with pytest.raises(InvalidArgument):
        mqp_jobs.requeue_stale_jobs(timedelta.min)
    assert mqp_jobs.requeue_stale_jobs(timedelta(hours=1)).circuit == [claimed.id]


@pytest.mark.parametrize("shots", [10**5000, -(10**5000)], ids=["huge", "hugely-negative"])
def test_a_count_of_5000_digits_is_refused(
    api: None, portal: Portal, db: psycopg.Connection, shots: int
) -> None:
    with pytest.raises(InvalidJob, match="bits"):
        mqp_jobs.create_job(
            shots, "OPENQASM 2.0;", portal.alice, portal.alice_budget, portal.qpu_target, "qasm2"
        )
    with pytest.raises(InvalidArgument):
        mqp_jobs.fetch_all_pending_jobs(limit=shots)
    assert count_rows(db, "circuit_job") == 0


# --- Escapes outside validation, reads and requeueing -----------------------------------------
#
# Each still raises something other than an MqpJobsError; the fix belongs to the module named.
# strict: once fixed, the test fails until its entry (and the matching exclusion from the
# strategies above) is removed.


KNOWN_ESCAPES = [  # values that once escaped as other exceptions
    pytest.param(
        lambda w, qdb: mqp_jobs.cancel_job(10**5000, "x"),
        id="cancel_job-int-of-5000-digits",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.complete_job_with_result(10**5000, "r", "qpu-a", "c"),
        id="complete_job_with_result-int-of-5000-digits",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.create_jobs([{1: 1, "colour": "blue"}]),
        id="create_jobs-keys-of-mixed-types",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.complete_jobs_with_results([{1: 1, "job_id": 1}]),
        id="complete_jobs_with_results-keys-of-mixed-types",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.is_within_active_job_limit(
            qdb, dataclasses.replace(w.circuit_jobs[0], owner="\ud800")
        ),
        id="is_within_active_job_limit-surrogate-owner",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.is_within_active_job_limit(
            qdb, dataclasses.replace(w.circuit_jobs[0], owner="a\x00")
        ),
        id="is_within_active_job_limit-nul-owner",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.is_within_active_job_limit(
            qdb, dataclasses.replace(w.circuit_jobs[0], id="x")
        ),
        id="is_within_active_job_limit-id-not-a-number",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.is_within_active_job_limit(None, w.circuit_jobs[0]),
        id="is_within_active_job_limit-no-connection",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.filter_queued_if_offline_and_fetch(None, w.circuit_jobs),
        id="filter_queued_if_offline_and_fetch-no-connection",
    ),
    pytest.param(
        lambda w, qdb: mqp_jobs.wait_for_pending_jobs(-(10**5000)),
        id="wait_for_pending_jobs-int-of-5000-digits",
    ),
]


@pytest.mark.parametrize("call", KNOWN_ESCAPES)
def test_values_that_once_escaped_are_refused_as_the_packages_errors(
    call: Callable[[World, psycopg.Connection], object], world: World, conninfo: str
) -> None:
    with psycopg.connect(conninfo) as qdb, pytest.raises(MqpJobsError):
        call(world, qdb)


CLAIM_FILTER_FIELDS = (
    "users",
    "not_users",
    "resource",
    "not_resources",
    "reserved_resource",
    "reserved_for",
)


@SETTINGS
@given(
    fields=st.dictionaries(st.sampled_from(CLAIM_FILTER_FIELDS), HOSTILE, min_size=1, max_size=3)
)
def test_a_claim_filter_of_hostile_values_is_made_or_refused(fields: dict[str, object]) -> None:
    try:
        made = ClaimFilter(**fields)  # type: ignore[arg-type]
    except InvalidArgument:
        event("refused")
        return
    event("made")
    for name in ("users", "not_users", "not_resources", "reserved_for"):
        value = getattr(made, name)
        assert value is None or all(isinstance(n, str) for n in value)
        assert value is None or isinstance(value, tuple)
    for name in ("resource", "reserved_resource"):
        assert getattr(made, name) is None or isinstance(getattr(made, name), str)
    assert (made.reserved_resource is None) == (made.reserved_for is None)


@SETTINGS
@given(fields=st.dictionaries(st.sampled_from(CLAIM_FILTER_FIELDS), HOSTILE, max_size=3))
def test_claims_with_hostile_filters_claim_only_what_the_filter_admits(
    store: JobStore, queue: dict[str, list[int]], fields: dict[str, object]
) -> None:
    try:
        where = ClaimFilter(**fields)  # type: ignore[arg-type]
    except InvalidArgument:
        return
    for job in store.claim_jobs(where):
        if where.users is not None:
            assert job.owner in where.users
        if where.not_users is not None:
            assert job.owner not in where.not_users
        if where.resource is not None:
            assert job.target_specification.resource_name == where.resource
