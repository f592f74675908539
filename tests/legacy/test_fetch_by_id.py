"""The old project's paging tests (its ``tests/test_fetch_by_id.py``), run against mqp_jobs.

The dashboard reaches the job functions as ``database.jobs.<name>`` after
``import bqp_database_access as database``; here the package takes that name. The rows are
written through the portal's ORM into a database mqp_jobs has adopted. Only imports and the
rows set up before the call under test differ from the old tests.

Two versions of the old test are kept: the current one, over the seeded test database, and
the earlier one, over sixty jobs of one user. Not carried over: the old
``test_create_security_level``, which tests the portal's users module, not the jobs.
"""

from __future__ import annotations

from datetime import datetime

from pony.orm import db_session

import mqp_jobs as db_access


def test_display_user_by_pages(seeded_db):
    """
    Verify paging over the seeded jobs.
    """

    jobs_per_page = 2

    with db_session:
        result = db_access.jobs.fetch_by_identity_pages(
            identity="test_user",
            page=0,
            jobs_per_page=jobs_per_page,
            order="ASC",
            order_by="id",
            filter_query="",
        )

        assert result["totaljob_nr"] == 3
        assert len(result["jobs"]) == jobs_per_page


def test_display_user_by_pages_of_sixty_jobs(empty_db):
    qdb = empty_db

    with db_session:
        # prerequisites
        if qdb.UserSecurityLevel.get(name="BASIC") is None:
            qdb.UserSecurityLevel(
                name="BASIC",
                token_max_live_count=999,
                token_max_lifetime=999999,
                token_min_creation_interval=0,
                token_max_jobs=999999,
                token_max_budget=999999,
                token_max_rate=999999,
                login_max_interval=999999,
            )

        if qdb.TargetSpecification.get(name="default") is None:
            qdb.TargetSpecification(name="default", specification_type="default")

        # user (fill required fields)
        user = qdb.User.get(identity="testuser1")
        if user is None:
            user = qdb.User(
                identity="testuser1",
                email="testuser1@example.com",
                affiliation="test_affiliation",
                association="test_association",
                security_level="BASIC",
                secret_hash="x",
                force_secret_reset=False,
            )

        # budget (required by job creation logic)
        if qdb.Budget.get(name="testbudget") is None:
            qdb.Budget(name="testbudget", owner=user, credits=10_000)

        # jobs
        for _ in range(60):
            qdb.CircuitJob(
                shots=1,
                circuit="{}",
                circuit_format="QASM",
                timestamp_submitted=datetime.now(),
                cost=0,
                owner=user,
                budget=qdb.Budget.get(name="testbudget"),
                target_specification=qdb.TargetSpecification.get(name="default"),
                no_modify=False,
                queued=False,
            )

    # the function under test (wrap read in db_session)
    with db_session:
        result = db_access.jobs.fetch_by_identity_pages(
            identity="testuser1",
            page=2,
            jobs_per_page=20,
            order="desc",
            order_by="timestamp_submitted",
            filter_query=None,
        )

    assert len(result["jobs"]) == 20
    assert result["totaljob_nr"] == 60
