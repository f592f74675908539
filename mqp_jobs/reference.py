"""Users, budgets, resources and target specifications: what jobs point at."""

from __future__ import annotations

from collections.abc import Iterable

from mqp_jobs import validation as check
from mqp_jobs.errors import UnknownOwner, UnknownResource
from mqp_jobs.execute import Conn, column, value
from mqp_jobs.queries import query

_CREATE_USER = query("create_user")
_UNKNOWN_USERS = query("unknown_users")
_CREATE_BUDGET = query("create_budget")
_ADD_BUDGET_MEMBERS = query("add_budget_members")
_CREATE_RESOURCE = query("create_resource")
_SET_RESOURCE_MAINTENANCE = query("set_resource_maintenance")
_CREATE_TARGET_SPEC = query("create_target_spec")


def create_user(conn: Conn, identity: str) -> None:
    conn.execute(_CREATE_USER, {"identity": check.text(identity, "identity")})


def create_budget(conn: Conn, name: str, owner: str, members: Iterable[str] = ()) -> None:
    budget = check.text(name, "budget name")
    chargers = [check.text(owner, "owner"), *check.names(members, "members")]
    unknown = column(conn, _UNKNOWN_USERS, {"identities": chargers})
    if unknown:
        raise UnknownOwner(f"no user {unknown[0]!r}")
    conn.execute(_CREATE_BUDGET, {"name": budget, "owner": chargers[0]})
    conn.execute(_ADD_BUDGET_MEMBERS, {"budget": budget, "members": chargers})


def create_resource(conn: Conn, name: str, maintenance: bool = False) -> None:
    conn.execute(
        _CREATE_RESOURCE,
        {
            "name": check.text(name, "resource name"),
            "maintenance": check.flag(maintenance, "maintenance"),
        },
    )


def set_resource_maintenance(conn: Conn, name: str, maintenance: bool) -> None:
    params = {
        "name": check.text(name, "resource name"),
        "maintenance": check.flag(maintenance, "maintenance"),
    }
    if value(conn, _SET_RESOURCE_MAINTENANCE, params) is None:
        raise UnknownResource(f"no resource {name!r}")


def create_target_spec(conn: Conn, name: str, resource_name: str | None) -> None:
    params = {
        "name": check.text(name, "target specification name"),
        "resource_name": None
        if resource_name is None
        else check.text(resource_name, "resource_name"),
    }
    conn.execute(_CREATE_TARGET_SPEC, params)
