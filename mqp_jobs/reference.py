"""Users, budgets, user groups, resources and target specifications: what jobs point at.

The portal manages these with its other modules; the functions here serve tests, demos and
small installations, and fill the portal's other columns with neutral defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from psycopg import errors as pg_errors

from mqp_jobs import validation as check
from mqp_jobs.errors import (
    BudgetNotAllowed,
    InvalidArgument,
    UnknownBudget,
    UnknownOwner,
    UnknownResource,
)
from mqp_jobs.execute import Conn, column, row, value
from mqp_jobs.queries import query

_CREATE_USER = query("create_user")
_UNKNOWN_USERS = query("unknown_users")
_CREATE_BUDGET = query("create_budget")
_CREATE_USER_GROUP = query("create_user_group")
_ADD_USER_GROUP_MEMBERS = query("add_user_group_members")
_LINK_USER_GROUP_TO_BUDGET = query("link_user_group_to_budget")
_REFERENCE_EXISTS = query("reference_exists")
_USER_GROUP_OTHER_BUDGET = query("user_group_other_budget")
_CREATE_RESOURCE = query("create_resource")
_SET_RESOURCE_MAINTENANCE = query("set_resource_maintenance")
_CREATE_TARGET_SPEC = query("create_target_spec")


def _portal_refused(table: str, exc: pg_errors.ForeignKeyViolation) -> InvalidArgument:
    """A row the portal's own constraints refuse (on the portal's database, its users and
    resources point at security levels the job package does not manage)."""
    constraint = exc.diag.constraint_name or "a foreign key"
    return InvalidArgument(
        f"the portal's {table} table refused the row ({constraint}): create it with the "
        "portal's own module, which knows its other columns"
    )


def create_user(conn: Conn, identity: str) -> None:
    try:
        conn.execute(_CREATE_USER, {"identity": check.text(identity, "identity")})
    except pg_errors.ForeignKeyViolation as exc:
        raise _portal_refused("user", exc) from None


def _known_users(conn: Conn, identities: list[str]) -> None:
    unknown = column(conn, _UNKNOWN_USERS, {"identities": identities})
    if unknown:
        raise UnknownOwner(f"no user {unknown[0]!r}")


def create_user_group(conn: Conn, name: str, owner: str, members: Iterable[str] = ()) -> None:
    """A user group of ``owner`` with ``members``; an existing group of another owner is
    refused (BudgetNotAllowed), never joined."""
    group = check.text(name, "user group name")
    people = [check.text(owner, "owner"), *check.names(members, "members")]
    _known_users(conn, people)
    holder = value(conn, _CREATE_USER_GROUP, {"name": group, "owner": people[0]})
    if holder != people[0]:
        raise BudgetNotAllowed(f"user group {group!r} belongs to {holder!r}, not {people[0]!r}")
    conn.execute(_ADD_USER_GROUP_MEMBERS, {"user_group": group, "members": people[1:]})


def link_user_group_to_budget(conn: Conn, user_group: str, budget: str) -> None:
    """Let the members of ``user_group`` charge ``budget``."""
    params = {
        "user_group": check.text(user_group, "user group name"),
        "budget": check.text(budget, "budget name"),
    }
    found = row(conn, _REFERENCE_EXISTS, params, _Known)
    if found is None or not found.budget_known:
        raise UnknownBudget(f"no budget {budget!r}")
    if not found.user_group_known:
        raise UnknownOwner(f"no user group {user_group!r}")
    conn.execute(_LINK_USER_GROUP_TO_BUDGET, params)


def create_budget(conn: Conn, name: str, owner: str, members: Iterable[str] = ()) -> None:
    """A budget of ``owner``; ``members`` may charge it through a user group of the same name
    linked to it. Calling it again by the same owner adds members; a budget of another owner is
    refused (BudgetNotAllowed), never joined."""
    budget = check.text(name, "budget name")
    people = [check.text(owner, "owner"), *check.names(members, "members")]
    _known_users(conn, people)
    holder = value(conn, _CREATE_BUDGET, {"name": budget, "owner": people[0]})
    if holder != people[0]:
        raise BudgetNotAllowed(f"budget {budget!r} belongs to {holder!r}, not {people[0]!r}")
    if len(people) > 1:
        # The members' group is the budget's own: a group of that name that also grants
        # another budget would hand the new members that budget too.
        other = value(conn, _USER_GROUP_OTHER_BUDGET, {"user_group": budget, "budget": budget})
        if other is not None:
            raise BudgetNotAllowed(
                f"user group {budget!r} also grants budget {other!r}; add members to it "
                "with create_user_group instead"
            )
        create_user_group(conn, budget, people[0], people[1:])
        conn.execute(_LINK_USER_GROUP_TO_BUDGET, {"user_group": budget, "budget": budget})


def create_resource(conn: Conn, name: str, maintenance: bool = False) -> None:
    params = {
        "name": check.text(name, "resource name"),
        "maintenance": check.flag(maintenance, "maintenance"),
    }
    try:
        conn.execute(_CREATE_RESOURCE, params)
    except pg_errors.ForeignKeyViolation as exc:
        raise _portal_refused("resource", exc) from None


def set_resource_maintenance(conn: Conn, name: str, maintenance: bool) -> None:
    params = {
        "name": check.text(name, "resource name"),
        "maintenance": check.flag(maintenance, "maintenance"),
    }
    if value(conn, _SET_RESOURCE_MAINTENANCE, params) is None:
        raise UnknownResource(f"no resource {name!r}")


def create_target_spec(conn: Conn, name: str, resource_name: str | None) -> None:
    """A target specification; ``resource_name`` None or '' for a target by technology only
    (stored as '', as the portal stores it)."""
    params = {
        "name": check.text(name, "target specification name"),
        "resource_name": check.optional_text(resource_name, "resource_name"),
    }
    conn.execute(_CREATE_TARGET_SPEC, params)


@dataclass(frozen=True)
class _Known:
    """What reference_exists found."""

    budget_known: bool
    user_group_known: bool
