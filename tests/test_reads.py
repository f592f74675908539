"""The dashboard and the runners reading jobs: only one's own, in a defined order."""

from __future__ import annotations

import psycopg
import pytest
from conftest import Portal
from helpers import set_status, submit, submit_hamiltonian

from mqp_jobs import InvalidQuery, JobStore


@pytest.fixture
def two_users(store: JobStore, portal: Portal, db: psycopg.Connection) -> dict[str, list[int]]:
    """alice has 7 jobs of mixed status and shots, bob has 3."""
    alice = [submit(store, portal, shots=shots).id for shots in (5, 1, 9, 3, 7, 2, 8)]
    bob = [submit(store, portal, by=portal.bob).id for _ in range(3)]
    set_status(db, "circuit_job", alice[1], "WAITING")
    set_status(db, "circuit_job", alice[4], "WAITING")
    set_status(db, "circuit_job", alice[5], "COMPLETED")
    return {"alice": alice, "bob": bob}


def test_fetch_by_identity_returns_only_ones_own_jobs_by_id(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]]
) -> None:
    assert [j.id for j in store.fetch_by_identity(portal.alice)] == two_users["alice"]
    assert [j.id for j in store.fetch_by_identity(portal.bob)] == two_users["bob"]
    assert store.fetch_by_identity("nobody") == []
    assert store.fetch_by_identity("alice' OR '1'='1") == []
    assert store.fetch_by_identity("alice\x00") == []


@pytest.mark.parametrize("identity", [None, 7, ["alice"], b"alice"])
def test_a_non_string_identity_is_refused(store: JobStore, identity: object) -> None:
    with pytest.raises(InvalidQuery):
        store.fetch_by_identity(identity)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery):
        store.fetch_hamiltonian_job_by_identity(identity)  # type: ignore[arg-type]


def test_pages_split_the_listing_and_count_every_page(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]]
) -> None:
    ids = two_users["alice"]
    first = store.fetch_by_identity_pages(portal.alice, 0, 3, "asc", None, None)
    second = store.fetch_by_identity_pages(portal.alice, 1, 3, "ASC", "", "")
    last = store.fetch_by_identity_pages(portal.alice, 2, 3, "Asc", "id", None)
    beyond = store.fetch_by_identity_pages(portal.alice, 9, 3, "ASC", "id", None)
    assert [j.id for j in first["jobs"]] == ids[:3]
    assert [j.id for j in second["jobs"]] == ids[3:6]
    assert [j.id for j in last["jobs"]] == ids[6:]
    assert beyond == {"jobs": [], "totaljob_nr": 7}
    assert first["totaljob_nr"] == second["totaljob_nr"] == 7


def test_pages_sort_by_a_column_with_id_breaking_ties(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]]
) -> None:
    page = store.fetch_by_identity_pages(portal.alice, 0, 10, "DESC", "Shots", None)
    assert [j.shots for j in page["jobs"]] == [9, 8, 7, 5, 3, 2, 1]
    by_status = store.fetch_by_identity_pages(portal.alice, 0, 10, "asc", "status", None)
    keys = [(j.status, j.id) for j in by_status["jobs"]]
    assert keys == sorted(keys)
    by_date = store.fetch_by_identity_pages(portal.alice, 0, 10, "desc", "date", None)
    assert [j.id for j in by_date["jobs"]] == sorted(two_users["alice"], reverse=True)


def test_pages_filter_by_status_in_any_case(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]]
) -> None:
    ids = two_users["alice"]
    waiting = store.fetch_by_identity_pages(portal.alice, 0, 10, "ASC", None, "waiting")
    assert [j.id for j in waiting["jobs"]] == [ids[1], ids[4]]
    assert waiting["totaljob_nr"] == 2
    failed = store.fetch_by_identity_pages(portal.alice, 0, 10, "ASC", None, "FAILED")
    assert failed == {"jobs": [], "totaljob_nr": 0}


HOSTILE_PAGES = [
    {"filter_query": 5},
    {"order_by": "id; DROP TABLE circuit_job"},
    {"order_by": "owner = 'bob'"},
    {"order_by": "(SELECT 1)"},
    {"order_by": 'id"'},
    {"order_by": 3},
    {"order": "ASC; DELETE FROM circuit_job"},
    {"order": "DESC NULLS FIRST"},
    {"page": -1},
    {"page": "0"},
    {"page": 1.0},
    {"page": True},
    {"page": 10**30},
    {"jobs_per_page": -20},
    {"jobs_per_page": 1001},
    {"jobs_per_page": 10**9},
    {"jobs_per_page": None},
    {"identity": None},
    {"identity": 1},
]


@pytest.mark.parametrize("hostile", HOSTILE_PAGES)
def test_hostile_page_arguments_are_refused(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]], hostile: dict
) -> None:
    args = {
        "identity": portal.alice,
        "page": 0,
        "jobs_per_page": 20,
        "order": "ASC",
        "order_by": "id",
        "filter_query": None,
    }
    args.update(hostile)
    with pytest.raises(InvalidQuery):
        store.fetch_by_identity_pages(**args)
    assert len(store.fetch_by_identity(portal.alice)) == 7


@pytest.mark.parametrize(
    "filter_query",
    ["x' OR '1'='1", "PENDING' OR owner <> 'alice", "PENDING; DROP TABLE circuit_job", "SUBMITTED"],
)
def test_a_filter_no_job_matches_gives_an_empty_page(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]], filter_query: str
) -> None:
    page = store.fetch_by_identity_pages(portal.alice, 0, 20, "ASC", "id", filter_query)
    assert page == {"jobs": [], "totaljob_nr": 0}
    assert len(store.fetch_by_identity(portal.alice)) == 7
    assert len(store.fetch_by_identity(portal.bob)) > 0


def test_the_dashboards_spellings_are_understood(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]]
) -> None:
    mine = sorted(two_users["alice"])
    by_id = store.fetch_by_identity_pages(portal.alice, 0, 20, "desc", "ID", None)
    assert [job.id for job in by_id["jobs"]] == mine[::-1] and by_id["totaljob_nr"] == 7
    for order in ("", None):
        page = store.fetch_by_identity_pages(portal.alice, 0, 20, order, "", "")  # type: ignore[arg-type]
        assert [job.id for job in page["jobs"]] == mine
    for order_by in ("DATE", "STATUS", "status", "timestamp_submitted", "Circuit", "note"):
        page = store.fetch_by_identity_pages(portal.alice, 0, 20, "ASC", order_by, None)
        assert sorted(job.id for job in page["jobs"]) == mine
    empty = store.fetch_by_identity_pages(portal.alice, 0, 0, "ASC", "id", None)
    assert empty == {"jobs": [], "totaljob_nr": 7}
    pending = store.fetch_by_identity_pages(portal.alice, 0, 20, "ASC", "id", "pending")
    assert pending["totaljob_nr"] == sum(1 for job in pending["jobs"]) > 0
    assert {job.status for job in pending["jobs"]} == {"PENDING"}


@pytest.mark.parametrize("identity", ["alice' OR '1'='1", "' OR 1=1 --", 'bob"', "alice\x00", ""])
def test_a_quoted_identity_sees_no_ones_jobs(
    store: JobStore, two_users: dict[str, list[int]], identity: str
) -> None:
    assert store.fetch_by_identity_pages(identity, 0, 1000, "ASC", None, None) == {
        "jobs": [],
        "totaljob_nr": 0,
    }


def test_result_lookup_only_finds_ones_own_job(
    store: JobStore, portal: Portal, two_users: dict[str, list[int]]
) -> None:
    mine, theirs = two_users["alice"][0], two_users["bob"][0]
    job = store.fetch_result_by_job_id_and_identity(mine, portal.alice)
    assert job is not None and job.id == mine
    assert store.fetch_result_by_job_id_and_identity(str(mine), portal.alice) == job
    assert store.fetch_result_by_job_id_and_identity(f" {mine} ", portal.alice) == job
    assert store.fetch_result_by_job_id_and_identity(theirs, portal.alice) is None
    for bad in ["abc", f"{mine} OR 1=1", "", "-1", "1e3", None, 2**70, -mine, True, 1.0]:
        assert store.fetch_result_by_job_id_and_identity(bad, portal.alice) is None  # type: ignore[arg-type]
    assert store.fetch_result_by_job_id_and_identity(mine, "alice' OR '1'='1") is None


def test_hamiltonian_lookup_by_task_id(store: JobStore, portal: Portal) -> None:
    job = submit_hamiltonian(store, portal)
    assert store.fetch_hamiltonian_job_by_task_id(job.id) == [job]
    assert store.fetch_hamiltonian_job_by_task_id(str(job.id)) == [job]
    for bad in [job.id + 1, "x", None, -1, 2**64]:
        assert store.fetch_hamiltonian_job_by_task_id(bad) == []  # type: ignore[arg-type]


def test_waiting_lists(
    store: JobStore, portal: Portal, db: psycopg.Connection, two_users: dict[str, list[int]]
) -> None:
    ids = two_users["alice"]
    assert [j.id for j in store.fetch_all_waiting_jobs()] == [ids[1], ids[4]]
    hjob = submit_hamiltonian(store, portal)
    assert store.fetch_all_waiting_hamiltonian_jobs() == []
    set_status(db, "hamiltonian_job", hjob.id, "WAITING")
    assert [j.id for j in store.fetch_all_waiting_hamiltonian_jobs()] == [hjob.id]
