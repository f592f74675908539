"""The portal's own entities, declared for Pony ORM as the portal declares them.

The tables Pony makes from these are the ones LEGACY_SCHEMA.md lists (names, columns, types,
NOT NULL, foreign keys and their indexes), so the tests can stand in for the portal's other
modules: they create a database the portal's way, fill it through the ORM, hand it to
``mqp_jobs.migrate`` and keep using the ORM beside the package afterwards.
"""

from __future__ import annotations

from datetime import datetime

import pony.orm as orm


def define_portal_entities(db: orm.Database) -> None:
    """Declare the portal's entities on ``db``; call ``db.generate_mapping`` afterwards."""

    class UserSecurityLevel(db.Entity):  # type: ignore[name-defined]
        _table_ = "user_security_level"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        users = orm.Set("User", reverse="security_level")
        token_max_live_count = orm.Required(int)
        token_max_lifetime = orm.Required(int)
        token_min_creation_interval = orm.Required(int)
        token_max_jobs = orm.Required(int)
        token_max_budget = orm.Required(int)
        token_max_rate = orm.Required(int)
        login_max_interval = orm.Required(int)

    class SuperUserLevel(db.Entity):  # type: ignore[name-defined]
        _table_ = "super_user_level"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        users = orm.Set("User", reverse="superuser_level")
        permission_user_creation = orm.Required(bool)
        permission_user_blocking = orm.Required(bool)
        permission_user_group_budget_assignment = orm.Required(bool)
        permission_user_group_create = orm.Required(bool)
        permission_user_group_user_add = orm.Required(bool)
        permission_user_group_user_remove = orm.Required(bool)
        permission_budget_create = orm.Required(bool)
        permission_budget_split = orm.Required(bool)

    class User(db.Entity):  # type: ignore[name-defined]
        _table_ = "user"

        identity = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        email = orm.Required(str)
        affiliation = orm.Required(str)
        association = orm.Required(str)
        security_level = orm.Required(UserSecurityLevel)
        superuser_level = orm.Optional(SuperUserLevel)
        # A user account may be managed by another one.
        owner = orm.Optional("User", reverse="owned")
        owned = orm.Set("User", reverse="owner")
        blocked = orm.Required(bool, default=False)
        block_reason = orm.Optional(str)
        secret_hash = orm.Optional(str)
        force_secret_reset = orm.Required(bool, default=True)
        last_login = orm.Optional(datetime)
        last_secret_change = orm.Optional(datetime)
        user_groups = orm.Set("UserGroup", table="users_in_user_groups")
        owned_user_groups = orm.Set("UserGroup", reverse="owner")
        tokens_owned = orm.Set("Token")
        budgets_owned = orm.Set("Budget")
        circuit_jobs = orm.Set("CircuitJob")
        hamiltonian_jobs = orm.Set("HamiltonianJob")

    class UserGroup(db.Entity):  # type: ignore[name-defined]
        _table_ = "user_group"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        users = orm.Set(User, table="users_in_user_groups", reverse="user_groups")
        budgets = orm.Set("Budget", table="user_groups_in_budgets")
        owner = orm.Required(User, reverse="owned_user_groups")
        cost_modifier = orm.Required(float)

    class Token(db.Entity):  # type: ignore[name-defined]
        _table_ = "token"

        token_hash = orm.PrimaryKey(str, auto=False)
        owner = orm.Required(User)
        remember_name = orm.Required(str, unique=True)
        creation = orm.Required(datetime)
        expiration = orm.Required(datetime)
        revoked = orm.Required(bool, default=False)
        revoke_reason = orm.Optional(str)
        revoke_timestamp = orm.Optional(datetime)
        last_used = orm.Optional(datetime)
        max_budget_usage = orm.Required(int)
        max_jobs = orm.Required(int)
        token_usage = orm.Set("TokenUsage")

    class ResourceSecurityLevel(db.Entity):  # type: ignore[name-defined]
        _table_ = "resource_security_level"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        job_min_interval = orm.Required(int)
        budget_max_per_job = orm.Required(int)
        unique_token_required = orm.Required(bool)
        token_max_lifetime = orm.Required(int)
        resources = orm.Set("Resource")

    class Resource(db.Entity):  # type: ignore[name-defined]
        _table_ = "resource"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        maintenance = orm.Required(bool, default=False)
        qubits = orm.Required(int)
        connectivity = orm.Required(str)
        instructions = orm.Required(str)
        budgets = orm.Set("Budget")
        quantum_technology = orm.Required(str)
        resource_cost_modifier = orm.Required(float)
        security_level = orm.Required(ResourceSecurityLevel)
        circuit_jobs = orm.Set("CircuitJob")
        hamiltonian_jobs = orm.Set("HamiltonianJob")
        num_queued_jobs = orm.Required(int, default=0)

    class Budget(db.Entity):  # type: ignore[name-defined]
        _table_ = "budget"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        owner = orm.Required(User)
        credits = orm.Required(int)
        resources = orm.Set(Resource, table="budget_resource")
        user_groups = orm.Set(UserGroup, table="user_groups_in_budgets")
        circuit_jobs = orm.Set("CircuitJob")
        hamiltonian_jobs = orm.Set("HamiltonianJob")

    class TargetSpecification(db.Entity):  # type: ignore[name-defined]
        _table_ = "target_specification"

        name = orm.PrimaryKey(str, auto=False)
        note = orm.Optional(str)
        specification_type = orm.Required(str)
        minimum_qubits = orm.Optional(str)
        quantum_technology = orm.Optional(str)
        # A plain name, not a relation: a target may name a resource that has no row.
        resource_name = orm.Optional(str)
        circuit_jobs = orm.Set("CircuitJob")
        hamiltonian_jobs = orm.Set("HamiltonianJob")

    class CircuitJob(db.Entity):  # type: ignore[name-defined]
        _table_ = "circuit_job"

        id = orm.PrimaryKey(int, auto=True)
        note = orm.Optional(str)
        status = orm.Required(str, default="PENDING")
        shots = orm.Required(int)
        circuit = orm.Required(str)
        circuit_format = orm.Required(str)
        no_modify = orm.Required(bool, default=False)
        timestamp_submitted = orm.Required(datetime, default=datetime.now)
        timestamp_scheduled = orm.Optional(datetime)
        timestamp_completed = orm.Optional(datetime)
        timestamp_cancelled = orm.Optional(datetime)
        cost = orm.Optional(int)
        result = orm.Optional(str)
        owner = orm.Required(User)
        budget = orm.Required(Budget)
        executed_resource = orm.Optional(Resource)
        target_specification = orm.Required(TargetSpecification)
        token_usage = orm.Optional("TokenUsage")
        executed_circuit = orm.Optional(str)
        queued = orm.Required(bool, default=False)
        timestamp_data = orm.Set("TimestampData")

    class HamiltonianJob(db.Entity):  # type: ignore[name-defined]
        _table_ = "hamiltonian_job"

        id = orm.PrimaryKey(int, auto=True)
        note = orm.Optional(str)
        status = orm.Required(str, default="PENDING")
        interaction_str = orm.Required(str)
        coefficients_str = orm.Required(str)
        no_modify = orm.Required(bool, default=False)
        timestamp_submitted = orm.Required(datetime, default=datetime.now)
        timestamp_scheduled = orm.Optional(datetime)
        timestamp_completed = orm.Optional(datetime)
        timestamp_cancelled = orm.Optional(datetime)
        cost = orm.Optional(int)
        result = orm.Optional(str)
        budget = orm.Required(Budget)
        owner = orm.Required(User)
        executed_resource = orm.Optional(Resource)
        target_specification = orm.Required(TargetSpecification)

    class TokenUsage(db.Entity):  # type: ignore[name-defined]
        _table_ = "token_usage"

        job = orm.Required(CircuitJob)
        token = orm.Required(Token)

    class TimestampData(db.Entity):  # type: ignore[name-defined]
        """When a job entered and left each stage of the portal (the portal's job metrics)."""

        _table_ = "timestamp_data"

        circuit_job = orm.Required(CircuitJob)
        api_entry = orm.Required(datetime)
        api_exit = orm.Required(datetime)
        qdb_entry = orm.Optional(datetime)
        qdb_exit = orm.Optional(datetime)
        qjr_entry = orm.Optional(datetime)
        qjr_exit = orm.Optional(datetime)
        isv_jr_entry = orm.Optional(datetime)
        isv_jr_exit = orm.Optional(datetime)
        quantum_daemon_jr_entry = orm.Optional(datetime)
        quantum_daemon_jr_exit = orm.Optional(datetime)
        generator_entry = orm.Optional(datetime)
        generator_exit = orm.Optional(datetime)
        scheduler_entry = orm.Optional(datetime)
        scheduler_exit = orm.Optional(datetime)
        pass_runner_entry = orm.Optional(datetime)
        pass_runner_exit = orm.Optional(datetime)
        passes_applied = orm.Optional(datetime)
        transpiler_entry = orm.Optional(datetime)
        transpiler_exit = orm.Optional(datetime)
        submitter_entry = orm.Optional(datetime)
        submitter_exit = orm.Optional(datetime)
        pass_selection_entry = orm.Optional(datetime)
        pass_selection_exit = orm.Optional(datetime)
        knitter_entry = orm.Optional(datetime)
        knitter_exit = orm.Optional(datetime)
        job_execution_start = orm.Optional(datetime)
        job_execution_end = orm.Optional(datetime)
