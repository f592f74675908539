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
    UnknownBudget,
    UnknownOwner,
    UnknownResource,
)


def test_creating_twice_is_a_no_op(store: JobStore, portal: Portal, db: psycopg.Connection) -> None:
    store.create_user(portal.alice)
    store.create_budget(portal.alice_budget, portal.alice)
    store.create_resource(portal.qpu, maintenance=True)
    store.create_target_spec(portal.qpu_target, "elsewhere")
    assert count_rows(db, "user") == 2
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
        lambda s: s.create_target_spec("t", "a\x00b"),
        lambda s: s.create_user_group("", "alice"),
        lambda s: s.create_user_group("g", None),
        lambda s: s.create_user_group("g", "alice", members="bob"),
        lambda s: s.link_user_group_to_budget(None, "alice-grant"),
        lambda s: s.link_user_group_to_budget("g", ""),
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
        for t in (
            "user",
            "budget",
            "user_group",
            "users_in_user_groups",
            "user_groups_in_budgets",
            "resource",
            "target_specification",
        )
    ]
    with pytest.raises(InvalidArgument):
        call(store)  # type: ignore[operator]
    assert counts == [
        count_rows(db, t)
        for t in (
            "user",
            "budget",
            "user_group",
            "users_in_user_groups",
            "user_groups_in_budgets",
            "resource",
            "target_specification",
        )
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


def test_a_budget_of_another_owner_is_refused_never_joined(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    store.create_user("mallory")
    with pytest.raises(BudgetNotAllowed, match="belongs to 'alice'"):
        store.create_budget(portal.alice_budget, "mallory")
    with pytest.raises(BudgetNotAllowed):
        store.create_budget(portal.alice_budget, "mallory", members=["mallory"])
    with pytest.raises(BudgetNotAllowed):
        submit(store, portal, by="mallory", budget=portal.alice_budget)
    assert db.execute(
        "SELECT owner FROM budget WHERE name = %s", (portal.alice_budget,)
    ).fetchall() == [(portal.alice,)]


def test_members_of_a_user_group_linked_to_a_budget_may_charge_it(
    store: JobStore, portal: Portal
) -> None:
    store.create_user("carol")
    with pytest.raises(BudgetNotAllowed):
        submit(store, portal, by="carol", budget=portal.alice_budget)
    store.create_user_group("lab", portal.alice, members=["carol"])
    with pytest.raises(BudgetNotAllowed):
        submit(store, portal, by="carol", budget=portal.alice_budget)
    store.link_user_group_to_budget("lab", portal.alice_budget)
    job = submit(store, portal, by="carol", budget=portal.alice_budget)
    assert (job.owner.identity, job.budget.name) == ("carol", portal.alice_budget)


def test_user_groups_refuse_unknown_names_and_other_owners(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    with pytest.raises(UnknownOwner):
        store.create_user_group("lab", portal.alice, members=["nobody"])
    store.create_user_group("lab", portal.alice)
    with pytest.raises(BudgetNotAllowed, match="belongs to 'alice'"):
        store.create_user_group("lab", portal.bob, members=[portal.bob])
    with pytest.raises(UnknownBudget):
        store.link_user_group_to_budget("lab", "no-such-budget")
    with pytest.raises(UnknownOwner, match="no user group"):
        store.link_user_group_to_budget("no-such-group", portal.alice_budget)
    assert count_rows(db, "users_in_user_groups") == 1  # bob, member of lab-shared's group


def test_a_target_without_resource_is_stored_as_the_portal_does(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    store.create_target_spec("by-technology", "")
    assert db.execute(
        "SELECT name, resource_name FROM target_specification"
        " WHERE name IN ('by-technology', %s) ORDER BY name",
        (portal.sim_target,),
    ).fetchall() == [("by-technology", ""), (portal.sim_target, "")]


def test_create_budget_never_hands_members_another_budget(store: JobStore, portal: Portal) -> None:
    """A group named like the new budget that already grants another budget is not reused:
    its new members would be able to charge that budget too."""
    store.create_user("erin")
    store.create_user_group("lab", portal.alice)
    store.link_user_group_to_budget("lab", portal.alice_budget)
    with pytest.raises(BudgetNotAllowed, match="also grants budget 'alice-grant'"):
        store.create_budget("lab", portal.alice, members=["erin"])
    with pytest.raises(BudgetNotAllowed):
        submit(store, portal, by="erin", budget=portal.alice_budget)


def test_reference_rows_the_portals_constraints_refuse_are_a_clear_error(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    """On the portal's database, users and resources point at security levels."""
    db.execute("CREATE TABLE user_security_level (name text PRIMARY KEY)")
    db.execute(
        'ALTER TABLE "user" ADD CONSTRAINT fk_user__security_level FOREIGN KEY (security_level)'
        " REFERENCES user_security_level (name) NOT VALID"
    )
    with pytest.raises(InvalidArgument, match="fk_user__security_level"):
        store.create_user("frank")
    db.execute("INSERT INTO user_security_level VALUES ('BASIC')")
    store.create_user("frank")
