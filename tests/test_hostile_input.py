"""Whatever a careless or hostile caller sends: a documented error or a correct answer, never a
driver error, never another user's job."""

from __future__ import annotations

import psycopg
import pytest
from conftest import Portal, count_rows
from helpers import set_status, submit
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mqp_jobs import (
    BudgetNotAllowed,
    CircuitJob,
    InvalidJob,
    InvalidQuery,
    JobStore,
    UnknownBudget,
    UnknownOwner,
    UnknownTargetSpec,
)
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
    st.one_of(names, anything, st.integers(min_value=-3, max_value=10**20)),
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
        names,
        anything,
        st.integers(min_value=1, max_value=12).map(lambda n: f"{n} OR 1=1"),
    ),
)


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
    if job is not None:
        assert job.owner == identity
        assert str(job.id) == str(job_id).strip()
    elif isinstance(identity, str) and str(job_id).strip().isdecimal():
        assert int(str(job_id).strip()) not in queue.get(identity, [])


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
    st.one_of(names, anything, st.integers(min_value=-5, max_value=2**40)),
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
