"""Schedulers claiming pending jobs: filters, FIFO order, the hold rule and the active-job limit."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from conftest import Portal
from helpers import events, set_status, submit, submit_hamiltonian

import mqp_jobs
from mqp_jobs import (
    MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
    MAX_QUEUING_TIME,
    CircuitJob,
    ClaimFilter,
    InvalidArgument,
    JobStore,
)
from mqp_jobs.claims import claim_circuit_jobs


def ids(jobs: list[CircuitJob]) -> list[int]:
    return [job.id for job in jobs]


def test_a_claim_moves_jobs_to_waiting_oldest_first(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    a1 = submit(store, portal)
    b1 = submit(store, portal, by=portal.bob)
    a2 = submit(store, portal, target_spec=portal.sim_target)
    claimed = store.claim_jobs()
    assert ids(claimed) == [a1.id, b1.id, a2.id]
    assert all(job.status == "WAITING" and job.timestamp_scheduled for job in claimed)
    assert ids(store.fetch_all_waiting_jobs()) == [a1.id, b1.id, a2.id]
    assert events(db, "circuit", a1.id)[-1] == ("PENDING", "WAITING", "")
    assert store.claim_jobs() == []


def test_fifo_follows_submission_time_then_id(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    first, _second, third = (submit(store, portal, by=portal.bob) for _ in range(3))
    db.execute(
        "UPDATE circuit_job SET timestamp_submitted = now() - interval '1 hour' WHERE id = %s",
        (third.id,),
    )
    assert ids(store.claim_jobs()) == [third.id, first.id]


def test_the_active_job_limit_counts_waiting_jobs_per_owner_and_target(
    store: JobStore, portal: Portal
) -> None:
    on_qpu = [submit(store, portal) for _ in range(5)]
    on_sim = [submit(store, portal, target_spec=portal.sim_target) for _ in range(3)]
    assert MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE == 2
    assert ids(store.claim_jobs()) == [*ids(on_qpu[:2]), *ids(on_sim[:2])]
    assert store.claim_jobs() == []
    store.complete_job_with_result(on_qpu[0].id, "r", portal.qpu, None)
    store.cancel_job(on_sim[0].id, "not needed")
    assert ids(store.claim_jobs()) == [on_qpu[2].id, on_sim[2].id]


def test_limit_takes_the_oldest_eligible_jobs(store: JobStore, portal: Portal) -> None:
    jobs = [submit(store, portal, by=user) for user in ("alice", "alice", "alice", "bob", "bob")]
    assert ids(store.claim_jobs(limit=3)) == [jobs[0].id, jobs[1].id, jobs[3].id]
    assert ids(store.claim_jobs(limit=3)) == [jobs[4].id]
    assert store.claim_jobs(limit=0) == []


@pytest.mark.parametrize("limit", [-1, "5", 2.5, True, [1]])
def test_a_malformed_limit_is_refused(store: JobStore, portal: Portal, limit: object) -> None:
    submit(store, portal)
    with pytest.raises(InvalidArgument):
        store.claim_jobs(limit=limit)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.fetch_all_pending_hamiltonian_jobs(limit=limit)  # type: ignore[arg-type]
    assert store.fetch_all_waiting_jobs() == []


def _age(db: psycopg.Connection, job: CircuitJob, seconds: int) -> None:
    db.execute(
        "UPDATE circuit_job SET timestamp_submitted = now() - %s WHERE id = %s",
        (timedelta(seconds=seconds), job.id),
    )


def test_queued_jobs_are_held_while_their_resource_is_in_maintenance(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    store.set_resource_maintenance(portal.qpu, True)
    held = submit(store, portal, queued=True)
    young = submit(store, portal, by=portal.bob, queued=True)
    old = submit(store, portal, by=portal.bob, queued=True)
    not_queued = submit(store, portal, queued=False)
    no_resource = submit(store, portal, queued=True, target_spec=portal.sim_target)
    unknown_resource = submit(store, portal, queued=True, target_spec=portal.ghost_target)
    _age(db, young, MAX_QUEUING_TIME - 60)
    _age(db, old, MAX_QUEUING_TIME + 60)
    claimed = store.claim_jobs()
    assert set(ids(claimed)) == {old.id, not_queued.id, no_resource.id, unknown_resource.id}
    store.set_resource_maintenance(portal.qpu, False)
    assert set(ids(store.claim_jobs())) == {held.id, young.id}


def test_a_resource_in_both_a_filter_and_a_hold(store: JobStore, portal: Portal) -> None:
    store.set_resource_maintenance(portal.qpu, True)
    held = submit(store, portal, queued=True)
    free = submit(store, portal, queued=False)
    claimed = store.claim_jobs(ClaimFilter(resource=portal.qpu, users=[portal.alice]))
    assert ids(claimed) == [free.id]
    assert store.claim_jobs(ClaimFilter(not_resources=["other"])) == []
    store.set_resource_maintenance(portal.qpu, False)
    assert ids(store.claim_jobs(ClaimFilter(resource=portal.qpu, users=["alice"]))) == [held.id]


@pytest.fixture
def mixed_queue(store: JobStore, portal: Portal) -> dict[str, int]:
    """One job per user and target, keyed 'user/target': targets 'qpu' (resource qpu-a),
    'sim' (no resource) and 'ghost' (a resource without a row)."""
    targets = {"qpu": portal.qpu_target, "sim": portal.sim_target, "ghost": portal.ghost_target}
    return {
        f"{user}/{short}": submit(store, portal, by=user, target_spec=target).id
        for user in (portal.alice, portal.bob)
        for short, target in targets.items()
    }


EVERY_JOB = ["alice/qpu", "alice/sim", "alice/ghost", "bob/qpu", "bob/sim", "bob/ghost"]
FILTERS = [
    # (module-level function, args, the jobs of mixed_queue it claims)
    ("fetch_all_pending_jobs_from_users", (["alice"],), ["alice/qpu", "alice/sim", "alice/ghost"]),
    ("fetch_all_pending_jobs_from_users", ([],), []),
    ("fetch_all_pending_jobs_from_users", (["nobody"],), []),
    ("fetch_all_pending_jobs_for_resource_from_users", ("qpu-a", ["bob"]), ["bob/qpu"]),
    ("fetch_all_pending_jobs_for_resource_from_users", ("qpu-a", []), []),
    (
        "fetch_all_pending_jobs_for_resource_from_users",
        ("qpu-not-installed", ["alice", "bob"]),
        ["alice/ghost", "bob/ghost"],
    ),
    ("fetch_all_pending_jobs_for_resource_not_from_users", ("qpu-a", ["bob"]), ["alice/qpu"]),
    (
        "fetch_all_pending_jobs_for_resource_not_from_users",
        ("qpu-a", []),
        ["alice/qpu", "bob/qpu"],
    ),
    (
        "fetch_all_pending_jobs_except_for_resources",
        (["qpu-a"],),
        ["alice/sim", "alice/ghost", "bob/sim", "bob/ghost"],
    ),
    ("fetch_all_pending_jobs_except_for_resources", ([],), EVERY_JOB),
    (
        "fetch_all_pending_jobs_except_for_resources",
        (["qpu-a", "qpu-not-installed"],),
        ["alice/sim", "bob/sim"],
    ),
    (
        "fetch_all_pending_jobs_except_for_resource_not_from_users",
        ("qpu-a", ["bob"]),
        ["alice/sim", "alice/ghost", "bob/qpu", "bob/sim", "bob/ghost"],
    ),
    (
        "fetch_all_pending_jobs_except_for_resource_not_from_users",
        ("qpu-a", []),
        ["alice/sim", "alice/ghost", "bob/sim", "bob/ghost"],
    ),
]


@pytest.mark.parametrize(("method", "args", "expected"), FILTERS)
def test_each_filter_claims_exactly_its_jobs(
    api: None,
    store: JobStore,
    mixed_queue: dict[str, int],
    method: str,
    args: tuple,
    expected: list[str],
) -> None:
    claimed = getattr(mqp_jobs, method)(*args)
    wanted = sorted(mixed_queue[key] for key in expected)
    assert ids(claimed) == wanted
    rest = set(mixed_queue.values()) - set(wanted)
    assert set(ids(store.claim_jobs())) == rest  # the others stayed PENDING


BAD_FILTER_ARGS = [
    ("fetch_all_pending_jobs_from_users", ("alice",)),
    ("fetch_all_pending_jobs_from_users", (None,)),
    ("fetch_all_pending_jobs_from_users", ([1, 2],)),
    ("fetch_all_pending_jobs_for_resource_from_users", (None, ["alice"])),
    ("fetch_all_pending_jobs_for_resource_from_users", ("", ["alice"])),
    ("fetch_all_pending_jobs_for_resource_not_from_users", ("qpu-a", "bob")),
    ("fetch_all_pending_jobs_except_for_resources", ("qpu-a",)),
    ("fetch_all_pending_jobs_except_for_resources", ([None],)),
    ("fetch_all_pending_jobs_except_for_resource_not_from_users", (["qpu-a"], ["bob"])),
    ("fetch_all_pending_jobs_except_for_resource_not_from_users", ("qpu-a", ["b\x00b"])),
]


@pytest.mark.parametrize(("method", "args"), BAD_FILTER_ARGS)
def test_malformed_filters_are_refused_and_claim_nothing(
    api: None, store: JobStore, mixed_queue: dict[str, int], method: str, args: tuple
) -> None:
    with pytest.raises(InvalidArgument):
        getattr(mqp_jobs, method)(*args)
    assert store.fetch_all_waiting_jobs() == []


def test_hostile_filter_values_are_only_values(
    store: JobStore, mixed_queue: dict[str, int]
) -> None:
    assert store.claim_jobs(ClaimFilter(users=["alice' OR '1'='1"])) == []
    assert store.claim_jobs(ClaimFilter(resource="x' OR 1=1 --", users=["alice"])) == []
    assert store.fetch_all_waiting_jobs() == []


def test_jobs_inserted_by_plain_sql_are_claimed_within_the_limit(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    db.execute(
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification) SELECT 1, 'c', 'qasm2', 'bob', 'bob-grant', 'target-qpu-a'"
        " FROM generate_series(1, 5)"
    )
    assert len(store.claim_jobs()) == MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE
    db.execute("UPDATE circuit_job SET owner = 'alice', budget = 'alice-grant' WHERE id = 5")
    assert len(store.claim_jobs()) == 1  # the moved job is in alice's own group


def test_jobs_put_in_waiting_by_hand_count_against_the_limit(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    first, second, _third = (submit(store, portal) for _ in range(3))
    set_status(db, "circuit_job", first.id, "WAITING")
    assert ids(store.claim_jobs()) == [second.id]


def test_hamiltonian_claims_take_every_pending_job_oldest_first(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    jobs = [
        submit_hamiltonian(store, portal, by=user) for user in ("alice", "alice", "alice", "bob")
    ]
    claimed = store.fetch_all_pending_hamiltonian_jobs(limit=3)
    assert [j.id for j in claimed] == [j.id for j in jobs[:3]]
    assert all(j.status == "WAITING" and j.timestamp_scheduled for j in claimed)
    assert [j.id for j in store.fetch_all_pending_hamiltonian_jobs()] == [jobs[3].id]
    assert store.fetch_all_pending_hamiltonian_jobs() == []
    assert events(db, "hamiltonian", jobs[0].id)[-1] == ("PENDING", "WAITING", "")


# The two helpers that work inside the caller's transaction.


def test_filter_queued_if_offline_and_fetch_in_the_callers_transaction(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    store.set_resource_maintenance(portal.qpu, True)
    held = submit(store, portal, queued=True)
    jobs = [held, *(submit(store, portal) for _ in range(3)), submit(store, portal, by="bob")]
    with psycopg.connect(conninfo) as qdb:
        moved = JobStore.filter_queued_if_offline_and_fetch(qdb, list(reversed(jobs)))
        assert ids(moved) == [jobs[1].id, jobs[2].id, jobs[4].id]
        qdb.rollback()  # the caller changes its mind: nothing moved
    assert store.fetch_all_waiting_jobs() == []
    with psycopg.connect(conninfo) as qdb:
        assert ids(JobStore.filter_queued_if_offline_and_fetch(qdb, jobs[3:])) == ids(jobs[3:])
        qdb.commit()
    assert ids(store.fetch_all_waiting_jobs()) == ids(jobs[3:])
    with psycopg.connect(conninfo, autocommit=True) as qdb:
        assert ids(JobStore.filter_queued_if_offline_and_fetch(qdb, jobs)) == [jobs[1].id]
        assert JobStore.filter_queued_if_offline_and_fetch(qdb, []) == []
        with pytest.raises(InvalidArgument):
            JobStore.filter_queued_if_offline_and_fetch(qdb, "jobs")  # type: ignore[arg-type]


def test_is_within_active_job_limit_in_the_callers_transaction(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    _first, _second, third = (submit(store, portal) for _ in range(3))
    with psycopg.connect(conninfo) as qdb:
        assert JobStore.is_within_active_job_limit(qdb, third)
        # While the caller holds the group, a scheduler cannot move the group's jobs.
        assert store.claim_jobs() == []
        qdb.commit()
    store.claim_jobs()
    with psycopg.connect(conninfo) as qdb:
        assert not JobStore.is_within_active_job_limit(qdb, third)
        with pytest.raises(InvalidArgument):
            JobStore.is_within_active_job_limit(qdb, third.id)  # type: ignore[arg-type]


def test_a_snapshot_older_than_the_claim_is_refused(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    job = submit(store, portal)
    with psycopg.connect(conninfo) as qdb:
        qdb.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with pytest.raises(InvalidArgument, match="READ COMMITTED"):
            JobStore.filter_queued_if_offline_and_fetch(qdb, [job])
        with pytest.raises(InvalidArgument, match="READ COMMITTED"):
            JobStore.is_within_active_job_limit(qdb, job)


def test_a_long_line_of_one_users_jobs_does_not_hide_the_others(
    store: JobStore, portal: Portal
) -> None:
    """A claim with a limit reads only the front of the line, and reads further when the front
    is all one group's jobs that the active-job limit holds back."""
    store.create_jobs(
        [
            {
                "shots": 1,
                "circuit": "c",
                "owner": portal.alice,
                "budget": portal.alice_budget,
                "target_spec": portal.qpu_target,
                "circuit_format": "qasm2",
            }
        ]
        * 300
    )
    bob = submit(store, portal, by=portal.bob)
    claimed = store.claim_jobs(limit=3)
    assert [job.owner for job in claimed] == [portal.alice, portal.alice, portal.bob]
    assert claimed[-1].id == bob.id


def test_maintenance_that_begins_during_a_claim_still_holds_queued_jobs(
    store: JobStore, portal: Portal
) -> None:
    """The claim's second statement applies the hold rule again to the jobs the first picked."""
    from mqp_jobs.execute import rows
    from mqp_jobs.queries import query

    held, free = submit(store, portal, queued=True), submit(store, portal, by=portal.bob)
    store.set_resource_maintenance(portal.qpu, True)  # after the (simulated) first statement
    with store.connection() as conn:
        moved = rows(
            conn,
            query("move_claimed_jobs"),
            {
                "job_ids": [held.id, free.id],
                "owners": [held.owner, free.owner],
                "targets": [held.target_specification, free.target_specification],
                "max_active": MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE,
                "max_queuing_time": MAX_QUEUING_TIME,
                "zone": "+00:00:00",
            },
            CircuitJob,
        )
    assert ids(moved) == [free.id]


@pytest.mark.parametrize("how", ["database default", "role default", "set transaction"])
def test_an_isolation_level_the_driver_does_not_know_is_refused(
    store: JobStore, portal: Portal, conninfo: str, db: psycopg.Connection, how: str
) -> None:
    """The level may come from the server, the database, the role or SET TRANSACTION: the
    driver then reports None, so the claim asks the server."""
    job = submit(store, portal)
    name = db.info.dbname
    if how == "database default":
        db.execute(
            psycopg.sql.SQL("ALTER DATABASE {} SET default_transaction_isolation = {}").format(
                psycopg.sql.Identifier(name), psycopg.sql.Literal("repeatable read")
            )
        )
    elif how == "role default":
        db.execute(
            psycopg.sql.SQL(
                "ALTER ROLE {} IN DATABASE {} SET default_transaction_isolation = {}"
            ).format(
                psycopg.sql.Identifier(db.info.user),
                psycopg.sql.Identifier(name),
                psycopg.sql.Literal("repeatable read"),
            )
        )
    try:
        with psycopg.connect(conninfo) as qdb:
            assert qdb.isolation_level is None
            if how == "set transaction":
                qdb.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            refused = "READ COMMITTED transaction, not REPEATABLE READ"
            with pytest.raises(InvalidArgument, match=refused):
                JobStore.filter_queued_if_offline_and_fetch(qdb, [job])
        with psycopg.connect(conninfo) as qdb:
            if how == "set transaction":
                qdb.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            with pytest.raises(InvalidArgument, match="READ COMMITTED"):
                JobStore.is_within_active_job_limit(qdb, job)
        # The package's own connections pin READ COMMITTED whatever the defaults say.
        fresh = JobStore(conninfo).open()
        try:
            assert ids(fresh.claim_jobs()) == [job.id]
            with fresh.connection() as conn:
                level = conn.execute("SHOW transaction_isolation").fetchone()
            assert level == ("read committed",)
        finally:
            fresh.close()
    finally:
        db.execute(
            psycopg.sql.SQL("ALTER DATABASE {} RESET default_transaction_isolation").format(
                psycopg.sql.Identifier(name)
            )
        )
        db.execute(
            psycopg.sql.SQL(
                "ALTER ROLE {} IN DATABASE {} RESET default_transaction_isolation"
            ).format(psycopg.sql.Identifier(db.info.user), psycopg.sql.Identifier(name))
        )


def test_a_job_moved_to_another_group_between_the_claims_statements_stays_pending(
    store: JobStore, portal: Portal, db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal re-targets a picked job with plain SQL after the claim locked its group and
    before the claim moves it; the new group is full. Moving it would make three WAITING."""
    from mqp_jobs import claims

    full = [submit(store, portal, target_spec=portal.sim_target) for _ in range(2)]
    store.claim_jobs()
    picked = submit(store, portal)
    original = claims._pick

    def pick_then_retarget(
        conn: psycopg.Connection, statement: str, params: dict[str, object]
    ) -> object:
        found = original(conn, statement, params)  # type: ignore[arg-type]
        db.execute(
            "UPDATE circuit_job SET target_specification = %s WHERE id = %s",
            (portal.sim_target, picked.id),
        )
        return found

    monkeypatch.setattr(claims, "_pick", pick_then_retarget)
    assert store.claim_jobs() == []
    monkeypatch.undo()
    assert db.execute(
        "SELECT count(*) FROM circuit_job WHERE status = 'WAITING' AND owner = %s"
        " AND target_specification = %s",
        (portal.alice, portal.sim_target),
    ).fetchone() == (2,)
    assert {job.id for job in store.fetch_all_waiting_jobs()} == {job.id for job in full}
    # Once the group has room, the job is claimed as usual.
    store.complete_job_with_result(full[0].id, "r", portal.qpu, "c")
    assert ids(store.claim_jobs()) == [picked.id]


def test_is_within_active_job_limit_refuses_an_autocommit_connection(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    job = submit(store, portal)
    with (
        psycopg.connect(conninfo, autocommit=True) as qdb,
        pytest.raises(InvalidArgument, match="autocommit"),
    ):
        JobStore.is_within_active_job_limit(qdb, job)


@pytest.mark.parametrize("how", ["triggers disabled", "group row deleted"])
def test_a_job_without_a_claim_group_row_is_still_claimed(
    store: JobStore, portal: Portal, db: psycopg.Connection, how: str
) -> None:
    """A bulk load with triggers off, or a job submitted while the schema was being adopted,
    has no group row; the claim creates it instead of passing the job over silently."""
    if how == "triggers disabled":
        db.execute("SET session_replication_role = replica")
        db.execute(
            "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
            " target_specification) VALUES (1, 'c', 'q', %s, %s, %s)",
            (portal.bob, portal.bob_budget, portal.qpu_target),
        )
        db.execute("SET session_replication_role = origin")
    else:
        submit(store, portal, by=portal.bob)
        db.execute("DELETE FROM claim_group")
    assert db.execute("SELECT count(*) FROM claim_group").fetchone() == (0,)
    claimed = store.claim_jobs()
    assert [job.owner for job in claimed] == [portal.bob]
    assert db.execute("SELECT owner FROM claim_group").fetchall() == [(portal.bob,)]


def test_jobs_without_group_rows_found_by_either_read_are_all_claimed(
    store: JobStore, portal: Portal, db: psycopg.Connection
) -> None:
    """Alice's full group heads the line: 63 pending jobs behind her 2 WAITING fill a limit=2
    claim's window. Alice's job on the simulator at the window's end, and Bob's beyond it
    (found only when the claim reads by groups), have no group row. The claim creates the rows
    of both as it finds them and claims both, oldest first."""
    insert = (
        "INSERT INTO circuit_job (shots, circuit, circuit_format, owner, budget,"
        " target_specification, status, timestamp_submitted)"
        " SELECT 1, 'c', 'q', %s, %s, %s, %s,"
        " localtimestamp - interval '1 hour' + (%s + n) * interval '1 millisecond'"
        " FROM generate_series(1, %s) AS n"
    )
    full = (portal.alice, portal.alice_budget, portal.qpu_target)
    db.execute(insert, (*full, "WAITING", 0, 2))
    db.execute(insert, (*full, "PENDING", 10, 63))
    db.execute("SET session_replication_role = replica")
    db.execute(insert, (portal.alice, portal.alice_budget, portal.sim_target, "PENDING", 100, 1))
    db.execute(insert, (portal.bob, portal.bob_budget, portal.qpu_target, "PENDING", 1000, 1))
    db.execute("SET session_replication_role = origin")
    claimed = store.claim_jobs(limit=2)
    assert [(job.owner, job.target_specification) for job in claimed] == [
        (portal.alice, portal.sim_target),
        (portal.bob, portal.qpu_target),
    ]


def test_a_claim_of_given_jobs_takes_neither_a_filter_nor_a_limit(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    """The statement that reads given jobs by id applies no filter and no limit: asking for
    either is refused rather than ignored."""
    job = submit(store, portal)
    with psycopg.connect(conninfo) as conn:
        for where, limit in ((ClaimFilter(users=[portal.bob]), None), (None, 1)):
            with pytest.raises(InvalidArgument, match="neither a filter nor a limit"):
                claim_circuit_jobs(conn, where, limit, job_ids=[job.id])
        conn.rollback()
    assert store.fetch_all_waiting_jobs() == []


def test_a_temporary_claim_group_cannot_stand_in_for_the_real_one(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    jobs = [submit(store, portal) for _ in range(4)]
    with psycopg.connect(conninfo) as qdb:
        qdb.execute("CREATE TEMP TABLE claim_group (LIKE public.claim_group)")
        with pytest.raises(InvalidArgument, match="temporary tables named like"):
            JobStore.filter_queued_if_offline_and_fetch(qdb, jobs)
        qdb.rollback()
    assert store.fetch_all_waiting_jobs() == []


def test_driver_errors_on_the_callers_connection_are_the_packages(
    store: JobStore, portal: Portal, conninfo: str
) -> None:
    job = submit(store, portal)
    with psycopg.connect(conninfo) as qdb:
        with pytest.raises(psycopg.errors.DivisionByZero):
            qdb.execute("SELECT 1 / 0")
        with pytest.raises(InvalidArgument, match="already aborted"):
            JobStore.filter_queued_if_offline_and_fetch(qdb, [job])
        with pytest.raises(InvalidArgument, match="already aborted"):
            JobStore.is_within_active_job_limit(qdb, job)
