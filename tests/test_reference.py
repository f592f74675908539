"""Setting up the portal: users, budgets, resources and target specifications."""

from __future__ import annotations

import psycopg
import pytest
from conftest import Portal, count_rows
from helpers import submit

from mqp_jobs import (
    BudgetNotAllowed,
    InvalidArgument,
    JobStore,
    UnknownOwner,
    UnknownResource,
)


def test_creating_twice_is_a_no_op(store: JobStore, portal: Portal, db: psycopg.Connection) -> None:
    store.create_user(portal.alice)
    store.create_budget(portal.alice_budget, portal.alice)
    store.create_resource(portal.qpu, maintenance=True)
    store.create_target_spec(portal.qpu_target, "elsewhere")
    assert count_rows(db, "portal_user") == 2
    assert count_rows(db, "budget") == 3
    assert db.execute("SELECT maintenance FROM resource").fetchall() == [(False,)]
    assert db.execute(
        "SELECT resource_name FROM target_specification WHERE name = %s", (portal.qpu_target,)
    ).fetchall() == [(portal.qpu,)]


def test_budget_members_may_be_added_later(store: JobStore, portal: Portal) -> None:
    with pytest.raises(BudgetNotAllowed):
        submit(store, portal, by=portal.bob, budget=portal.alice_budget)
    store.create_budget(portal.alice_budget, portal.alice, members=[portal.bob])
    assert (
        submit(store, portal, by=portal.bob, budget=portal.alice_budget).budget
        == portal.alice_budget
    )


@pytest.mark.parametrize(
    ("owner", "members"),
    [("mallory", ()), ("alice", ["bob", "mallory"]), ("alice", ("eve",))],
)
def test_a_budget_for_unknown_users_is_refused(
    store: JobStore, portal: Portal, db: psycopg.Connection, owner: str, members: object
) -> None:
    with pytest.raises(UnknownOwner):
        store.create_budget("new-grant", owner, members)  # type: ignore[arg-type]
    assert count_rows(db, "budget") == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.create_user(""),
        lambda s: s.create_user(None),
        lambda s: s.create_user("a\x00b"),
        lambda s: s.create_user(42),
        lambda s: s.create_budget("", "alice"),
        lambda s: s.create_budget("g", "alice", members="bob"),
        lambda s: s.create_budget("g", "alice", members=[None]),
        lambda s: s.create_budget("g", "alice", members=5),
        lambda s: s.create_resource(""),
        lambda s: s.create_resource("r", maintenance="no"),
        lambda s: s.create_resource("r", maintenance=0),
        lambda s: s.create_target_spec("", None),
        lambda s: s.create_target_spec("t", ""),
        lambda s: s.create_target_spec("t", 3),
        lambda s: s.set_resource_maintenance("qpu-a", None),
        lambda s: s.set_resource_maintenance(None, True),
    ],
)
def test_malformed_reference_data_is_refused(
    store: JobStore, portal: Portal, db: psycopg.Connection, call: object
) -> None:
    counts = [
        count_rows(db, t)
        for t in ("portal_user", "budget", "budget_member", "resource", "target_specification")
    ]
    with pytest.raises(InvalidArgument):
        call(store)  # type: ignore[operator]
    assert counts == [
        count_rows(db, t)
        for t in ("portal_user", "budget", "budget_member", "resource", "target_specification")
    ]


def test_maintenance_can_be_switched(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    store.set_resource_maintenance(portal.qpu, True)
    assert db.execute(
        "SELECT maintenance FROM resource WHERE name = %s", (portal.qpu,)
    ).fetchone() == (True,)
    store.set_resource_maintenance(portal.qpu, False)
    assert db.execute(
        "SELECT maintenance FROM resource WHERE name = %s", (portal.qpu,)
    ).fetchone() == (False,)
    with pytest.raises(UnknownResource):
        store.set_resource_maintenance("qpu-not-installed", True)
    assert count_rows(db, "resource") == 1
