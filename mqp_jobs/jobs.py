"""The job functions under the old package's module name, for callers that spell them
``bqp_database_access.jobs.fetch_by_identity(...)``: ``import mqp_jobs as database`` keeps
``database.jobs.fetch_by_identity(...)`` working."""

from __future__ import annotations

from mqp_jobs.api import (
    cancel_hamiltonian_job,
    cancel_job,
    complete_hamiltonian_job_with_result,
    complete_job_with_result,
    create_hamiltonian_job,
    create_job,
    fetch_all_pending_hamiltonian_jobs,
    fetch_all_pending_jobs,
    fetch_all_pending_jobs_except_for_resource_not_from_users,
    fetch_all_pending_jobs_except_for_resources,
    fetch_all_pending_jobs_for_resource_from_users,
    fetch_all_pending_jobs_for_resource_not_from_users,
    fetch_all_pending_jobs_from_users,
    fetch_all_waiting_hamiltonian_jobs,
    fetch_all_waiting_jobs,
    fetch_by_identity,
    fetch_by_identity_pages,
    fetch_hamiltonian_job_by_identity,
    fetch_hamiltonian_job_by_task_id,
    fetch_result_by_job_id_and_identity,
    update_hybrid_job,
)
from mqp_jobs.claims import filter_queued_if_offline_and_fetch, is_within_active_job_limit
from mqp_jobs.rules import MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE, MAX_QUEUING_TIME

__all__ = [
    "MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE",
    "MAX_QUEUING_TIME",
    "cancel_hamiltonian_job",
    "cancel_job",
    "complete_hamiltonian_job_with_result",
    "complete_job_with_result",
    "create_hamiltonian_job",
    "create_job",
    "fetch_all_pending_hamiltonian_jobs",
    "fetch_all_pending_jobs",
    "fetch_all_pending_jobs_except_for_resource_not_from_users",
    "fetch_all_pending_jobs_except_for_resources",
    "fetch_all_pending_jobs_for_resource_from_users",
    "fetch_all_pending_jobs_for_resource_not_from_users",
    "fetch_all_pending_jobs_from_users",
    "fetch_all_waiting_hamiltonian_jobs",
    "fetch_all_waiting_jobs",
    "fetch_by_identity",
    "fetch_by_identity_pages",
    "fetch_hamiltonian_job_by_identity",
    "fetch_hamiltonian_job_by_task_id",
    "fetch_result_by_job_id_and_identity",
    "filter_queued_if_offline_and_fetch",
    "is_within_active_job_limit",
    "update_hybrid_job",
]
