"""One API surface: the module-level functions are JobStore's methods bound to the default
store, the old claim spellings are filters for claim_jobs, and a store is used only while open."""

from __future__ import annotations

import gc
import inspect
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from conftest import Portal
from helpers import set_status, submit
from psycopg_pool import ConnectionPool

import mqp_jobs
from mqp_jobs import (
    ClaimFilter,
    InvalidArgument,
    JobStatus,
    JobStore,
    MqpJobsError,
    PoolSettings,
    StoreNotOpen,
)
from mqp_jobs.states import UPDATE_HYBRID

ONLY_ON_THE_STORE = {
    # A store's own life: the default store opens itself, and module-level callers never
    # hold it (``default_store()`` hands it out, open).
    "open": "the default store opens itself on first use",
    "connection": "a pooled connection of this store; the module-level calls use their own",
}
WRITTEN_OUT = {
    # Module-level functions with a method's name that are not that method bound.
    "close": "closes the default store (which the next call opens again)",
}
NOT_BOUND = {
    # The functions of __all__ that are not a JobStore method bound to the default store by
    # api._bound, and why. Every other function of __all__ must be one.
    **WRITTEN_OUT,
    "configure": "replaces the default store",
    "default_store": "hands out the default store",
    "migrate": "runs the migrations on a connection of its own",
    "grant_app_role": "grants a role; an administrator's call, not the store's",
    "resolve_conninfo": "says which database a store would use",
    "schema_migrations": "lists the migrations",
    "fetch_all_pending_jobs": "the old module's claim: claim_jobs with its filter",
    "fetch_all_pending_jobs_from_users": "the old module's claim",
    "fetch_all_pending_jobs_for_resource_from_users": "the old module's claim",
    "fetch_all_pending_jobs_for_resource_not_from_users": "the old module's claim",
    "fetch_all_pending_jobs_except_for_resources": "the old module's claim",
    "fetch_all_pending_jobs_except_for_resource_not_from_users": "the old module's claim",
}
SHARED = {
    # In the caller's transaction on the caller's connection: one function, the same object
    # at module level and on JobStore (a static method), bound to no store.
    "filter_queued_if_offline_and_fetch",
    "is_within_active_job_limit",
}


def _public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(JobStore)
        if not name.startswith("_") and callable(member)
    }


def _bound_names() -> list[str]:
    return sorted(
        name
        for name in mqp_jobs.__all__
        if inspect.isfunction(getattr(mqp_jobs, name))
        and name in _public_methods()
        and name not in WRITTEN_OUT
    )


def _without_self(method: Callable[..., Any]) -> inspect.Signature:
    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())
    if parameters and parameters[0].name == "self":
        parameters = parameters[1:]
    return signature.replace(parameters=parameters)


def _functions_of_all() -> list[str]:
    return sorted(name for name in mqp_jobs.__all__ if inspect.isfunction(getattr(mqp_jobs, name)))


def test_every_bound_function_has_its_methods_signature_and_docstring() -> None:
    names = _bound_names()
    assert "create_job" in names and "claim_jobs" in names and len(names) > 30
    for name in set(names) - SHARED:
        function, method = getattr(mqp_jobs, name), getattr(JobStore, name)
        assert inspect.signature(function) == _without_self(method), name
        assert inspect.getdoc(function) == inspect.getdoc(method), name
        assert (function.__doc__ or "").strip(), f"{name} has no docstring"
        assert function.__name__ == name
        assert function.__module__ == "mqp_jobs.api"


def _is_bound(function: Callable[..., Any], method: Callable[..., Any]) -> bool:
    """Whether ``function`` is what api._bound makes of ``method``: its code, wrapping it."""
    made = mqp_jobs.api._bound(JobStore.fetch_by_identity)
    return (
        getattr(function, "__code__", None) is made.__code__
        and getattr(function, "__wrapped__", None) is method
    )


def test_every_module_function_is_a_store_method_bound_unless_listed() -> None:
    functions = _functions_of_all()
    assert set(NOT_BOUND) | SHARED <= set(functions)  # a listed name that went goes here too
    for name in functions:
        function = getattr(mqp_jobs, name)
        if name in SHARED:
            assert function is getattr(JobStore, name) is getattr(mqp_jobs.claims, name), name
            assert (function.__doc__ or "").strip(), name
        elif name in NOT_BOUND:
            assert not hasattr(function, "__wrapped__"), name
        else:
            assert _is_bound(function, getattr(JobStore, name)), (
                f"{name} is not _bound(JobStore.{name})"
            )


def test_the_bound_check_tells_a_copy_from_the_bound_function() -> None:
    def fetch_all_waiting_jobs() -> list[Any]:
        return mqp_jobs.default_store().fetch_all_waiting_jobs()

    fetch_all_waiting_jobs.__doc__ = JobStore.fetch_all_waiting_jobs.__doc__
    method = JobStore.fetch_all_waiting_jobs
    assert _is_bound(mqp_jobs.fetch_all_waiting_jobs, method)
    assert not _is_bound(fetch_all_waiting_jobs, method)
    assert not _is_bound(mqp_jobs.fetch_all_waiting_jobs, JobStore.fetch_by_identity)


def test_every_public_method_of_the_store_is_reachable_from_the_module() -> None:
    missing = _public_methods() - set(mqp_jobs.__all__) - set(ONLY_ON_THE_STORE)
    assert sorted(missing) == []
    assert set(ONLY_ON_THE_STORE).isdisjoint(mqp_jobs.__all__)


def _undocumented(name: str, found: object) -> list[str]:
    """``name`` if ``found`` has no docstring of its own: none, or the one ``dataclass`` writes
    for a class without one (its signature, ``Name(field: type, ...)``)."""
    doc = (getattr(found, "__doc__", None) or "").strip()
    generated = inspect.isclass(found) and doc.startswith(f"{found.__name__}(")
    return [name] if not doc or generated else []


def _class_members(cls: type) -> list[tuple[str, object]]:
    """The public methods and properties ``cls`` and its bases in the package define."""
    members = {}
    for owner in reversed(cls.__mro__):
        if not owner.__module__.startswith("mqp_jobs"):
            continue
        for name, member in vars(owner).items():
            if name.startswith("_"):
                continue
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
                members[name] = member
    return sorted(members.items())


def test_every_public_method_and_function_says_what_it_does() -> None:
    missing = []
    for name in _public_methods():
        missing += _undocumented(f"JobStore.{name}", getattr(JobStore, name))
    for name in mqp_jobs.__all__:
        found = getattr(mqp_jobs, name)
        if inspect.isfunction(found):
            missing += _undocumented(name, found)
        elif inspect.isclass(found):
            missing += _undocumented(name, found)
            for member_name, member in _class_members(found):
                missing += _undocumented(f"{name}.{member_name}", member)
    assert missing == []


def test_the_hybrid_update_says_the_statuses_it_works_on() -> None:
    doc = JobStore.update_hybrid_job.__doc__ or ""
    assert UPDATE_HYBRID.from_statuses == (JobStatus.PENDING, JobStatus.WAITING)
    assert UPDATE_HYBRID.needs in " ".join(doc.split())


def test_the_docstring_check_sees_a_dataclass_without_one() -> None:
    @dataclass(frozen=True)
    class Figures:
        count: int

        @property
        def double(self) -> int:
            return self.count * 2

    Figures.__module__ = "mqp_jobs.models"
    assert _undocumented("Figures", Figures) == ["Figures"]  # dataclass wrote "Figures(...)"
    assert [name for name, _ in _class_members(Figures)] == ["double"]
    assert _undocumented("double", _class_members(Figures)[0][1]) == ["double"]
    assert _undocumented("StatusCount", mqp_jobs.StatusCount) == []


def test_help_shows_the_real_parameters() -> None:
    shown = str(inspect.signature(mqp_jobs.create_job))
    assert shown.startswith("(shots: 'int', circuit: 'str', owner: 'str'")
    assert "self" not in shown
    assert list(inspect.signature(mqp_jobs.claim_jobs).parameters) == ["filter", "limit"]


def test_module_functions_act_on_the_configured_store(
    api: None, store: JobStore, db: psycopg.Connection
) -> None:
    configured = mqp_jobs.default_store()
    assert configured.is_open and configured is not store
    mqp_jobs.create_user("carol")
    mqp_jobs.create_budget("carol-grant", "carol")
    mqp_jobs.create_resource(name="qpu-c")  # every keyword reaches the method, also `name`
    mqp_jobs.create_target_spec("target-c", "qpu-c")
    job = mqp_jobs.create_job(5, "h q[0];", "carol", "carol-grant", "target-c", "qasm2")
    assert [j.id for j in store.fetch_by_identity("carol")] == [job.id]
    assert [j.id for j in mqp_jobs.claim_jobs(ClaimFilter(users=["carol"]))] == [job.id]
    assert store.fetch_all_waiting_jobs()[0].id == job.id
    assert mqp_jobs.cancel_job(job.id, "no longer needed") == JobStatus.CANCELLED
    assert store.fetch_by_identity("carol")[0].status == JobStatus.CANCELLED
    assert [e.to_status for e in store.job_history(job.id)] == ["PENDING", "WAITING", "CANCELLED"]


def test_module_functions_use_the_store_instrumented_in_place(api: None, portal: Portal) -> None:
    """A method replaced on the default store (as metrics.instrument does) is the one called."""
    called: list[ClaimFilter | None] = []
    default = mqp_jobs.default_store()
    original = default.claim_jobs

    def spy(filter: ClaimFilter | None = None, *, limit: int | None = None) -> list[Any]:
        called.append(filter)
        return original(filter, limit=limit)

    default.claim_jobs = spy  # type: ignore[method-assign]
    mqp_jobs.claim_jobs(ClaimFilter(users=["nobody"]))
    mqp_jobs.fetch_all_pending_jobs()
    assert called == [ClaimFilter(users=["nobody"]), None]


LEGACY_CLAIMS: list[tuple[str, tuple[Any, ...], ClaimFilter | None]] = [
    ("fetch_all_pending_jobs", (), None),
    ("fetch_all_pending_jobs_from_users", (["alice"],), ClaimFilter(users=["alice"])),
    (
        "fetch_all_pending_jobs_for_resource_from_users",
        ("qpu-a", ["bob"]),
        ClaimFilter(resource="qpu-a", users=["bob"]),
    ),
    (
        "fetch_all_pending_jobs_for_resource_not_from_users",
        ("qpu-a", ["bob"]),
        ClaimFilter(resource="qpu-a", not_users=["bob"]),
    ),
    (
        "fetch_all_pending_jobs_except_for_resources",
        (["qpu-a"],),
        ClaimFilter(not_resources=["qpu-a"]),
    ),
    (
        "fetch_all_pending_jobs_except_for_resource_not_from_users",
        ("qpu-a", ["bob"]),
        ClaimFilter(reserved_resource="qpu-a", reserved_for=["bob"]),
    ),
]


@pytest.mark.parametrize(("name", "args", "expected"), LEGACY_CLAIMS)
def test_each_old_claim_is_claim_jobs_with_its_filter(
    api: None,
    store: JobStore,
    portal: Portal,
    db: psycopg.Connection,
    name: str,
    args: tuple[Any, ...],
    expected: ClaimFilter | None,
) -> None:
    assert name not in _public_methods()  # the old spellings live only at module level
    for user in (portal.alice, portal.bob):
        for target in (portal.qpu_target, portal.sim_target, portal.ghost_target):
            submit(store, portal, by=user, target_spec=target)
    called: list[ClaimFilter | None] = []
    default = mqp_jobs.default_store()
    original = default.claim_jobs

    def spy(filter: ClaimFilter | None = None, *, limit: int | None = None) -> list[Any]:
        called.append(filter)
        return original(filter, limit=limit)

    default.claim_jobs = spy  # type: ignore[method-assign]
    by_name = sorted(job.id for job in getattr(mqp_jobs, name)(*args, limit=None))
    assert called == [expected]
    assert by_name != []
    for job_id in by_name:  # back in line, to be claimed again with the filter itself
        set_status(db, "circuit_job", job_id, "PENDING")
    assert sorted(job.id for job in store.claim_jobs(expected)) == by_name


def test_a_claim_filter_is_checked_when_made() -> None:
    assert ClaimFilter(users=["a", "b"]).users == ("a", "b")
    assert ClaimFilter(users=["a"]) == ClaimFilter(users=("a",))
    hash(ClaimFilter(not_resources={"qpu-a"}))
    for bad in (
        {"users": "alice"},
        {"users": [1]},
        {"not_users": None, "users": ["\x00"]},
        {"resource": ""},
        {"resource": 3},
        {"not_resources": "qpu-a"},
        {"reserved_resource": "qpu-a"},
        {"reserved_for": ["alice"]},
        {"reserved_resource": " ", "reserved_for": []},
    ):
        with pytest.raises(InvalidArgument):
            ClaimFilter(**bad)


def test_claim_jobs_refuses_what_is_not_a_filter(store: JobStore, portal: Portal) -> None:
    submit(store, portal)
    for bad in ({"users": ["alice"]}, "alice", ["alice"]):
        with pytest.raises(InvalidArgument, match="ClaimFilter"):
            store.claim_jobs(bad)  # type: ignore[arg-type]
    assert store.fetch_all_waiting_jobs() == []


def _connections(db: psycopg.Connection) -> int:
    found = db.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = 'mqp_jobs'"
    ).fetchone()
    assert found is not None
    return int(found[0])


def test_a_store_is_used_only_while_open(conninfo: str, db: psycopg.Connection) -> None:
    store = JobStore(conninfo, settings=PoolSettings(min_size=1, max_size=1))
    assert not store.is_open
    with pytest.raises(StoreNotOpen, match="never opened"):
        store.fetch_by_identity("alice")
    with pytest.raises(StoreNotOpen):
        store.wait_for_pending_jobs(0)
    assert _connections(db) == 0  # a refused call connects nowhere
    assert store.open() is store
    store.open()  # idempotent: no second pool
    assert _connections(db) == 1
    assert store.fetch_by_identity("alice") == []
    store.close()
    assert not store.is_open
    with pytest.raises(StoreNotOpen, match="closed"):
        store.fetch_by_identity("alice")
    store.open()  # open again after a close
    assert store.fetch_by_identity("alice") == []
    store.close()
    store.close()  # closing twice does nothing


def test_a_store_is_a_context_manager(conninfo: str, db: psycopg.Connection) -> None:
    with JobStore(conninfo) as store:
        assert store.is_open
        store.create_user("dora")
    assert not store.is_open
    with pytest.raises(StoreNotOpen):
        store.create_user("erin")
    with pytest.raises(StoreNotOpen):
        store.job_history(1)
    assert db.execute('SELECT count(*) FROM "user" WHERE identity = %s', ("erin",)).fetchone() == (
        0,
    )
    assert issubclass(StoreNotOpen, MqpJobsError)
    assert "StoreNotOpen" in mqp_jobs.__all__


def test_the_default_store_opens_itself_again_after_close(api: None, portal: Portal) -> None:
    assert mqp_jobs.fetch_by_identity(portal.alice) == []
    mqp_jobs.close()
    assert mqp_jobs.fetch_by_identity(portal.alice) == []  # reopened on use
    assert mqp_jobs.default_store().is_open


def test_status_is_a_job_status_that_reads_as_before(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    job = submit(store, portal)
    assert type(job.status) is JobStatus and job.status == "PENDING"
    [claimed] = store.claim_jobs()
    assert claimed.status is JobStatus.WAITING
    events = store.job_history(job.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, JobStatus.PENDING),
        (JobStatus.PENDING, JobStatus.WAITING),
    ]
    assert all(type(e.to_status) is JobStatus for e in events)
    flat = claimed.to_dict()
    assert type(flat["status"]) is str and flat["status"] == "WAITING"
    assert json.dumps({"status": claimed.status}) == '{"status": "WAITING"}'
    assert json.dumps(flat, default=str) == json.dumps({**flat, "status": "WAITING"}, default=str)
    page = store.fetch_by_identity_pages(portal.alice, 0, 10, "ASC", None, None)
    assert page["totaljob_nr"] == 1 and page["jobs"][0].status is JobStatus.WAITING


def test_cancel_returns_the_new_status(store: JobStore, portal: Portal) -> None:
    plain = submit(store, portal)
    queued = submit(store, portal, queued=True)
    assert store.cancel_job(plain.id, "not needed") is JobStatus.CANCELLED
    # A queued job whose resource is reported down goes back in line.
    assert store.cancel_job(queued.id, "resource offline") is JobStatus.PENDING


def _open_pools(conninfo: str) -> list[ConnectionPool]:
    """The pools of this process still open on the test database."""
    gc.collect()
    return [
        found
        for found in gc.get_objects()
        if isinstance(found, ConnectionPool) and not found.closed and found.conninfo == conninfo
    ]


def test_configure_under_traffic_fails_no_call_and_leaks_no_pool(
    conninfo: str, db: psycopg.Connection
) -> None:
    """Schedulers keep calling while the process points the package at its database again and
    again: every call succeeds, and after close() no pool of the package is left open."""
    stop = threading.Event()
    calls = [0]
    failures: list[BaseException] = []

    def traffic() -> None:
        while not stop.is_set():
            try:
                assert mqp_jobs.fetch_by_identity("alice") == []
                calls[0] += 1
            except Exception as exc:  # counted, not raised: every failure is reported below
                failures.append(exc)

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    mqp_jobs.configure(conninfo, min_size=1, max_size=4)
    try:
        for thread in threads:
            thread.start()
        for _ in range(40):
            mqp_jobs.configure(conninfo, min_size=1, max_size=4)
            time.sleep(0.03)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        mqp_jobs.close()
    assert [repr(exc) for exc in failures] == []
    assert calls[0] > 40
    assert _open_pools(conninfo) == []
    assert _connections(db) == 0


def test_a_replaced_store_never_opens_itself_again(conninfo: str, db: psycopg.Connection) -> None:
    replaced = mqp_jobs.configure(conninfo)
    try:
        assert replaced.fetch_by_identity("alice") == []  # opens itself, as the default
        current = mqp_jobs.configure(conninfo)
        assert not replaced.is_open
        with pytest.raises(StoreNotOpen, match="replaced"):
            replaced.fetch_by_identity("alice")
        with pytest.raises(StoreNotOpen, match="replaced"):
            replaced.wait_for_pending_jobs(0)
        assert not replaced.is_open
        assert mqp_jobs.fetch_by_identity("alice") == []
        assert mqp_jobs.default_store() is current
    finally:
        mqp_jobs.close()
    assert _open_pools(conninfo) == []
    assert _connections(db) == 0
