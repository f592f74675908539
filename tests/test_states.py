"""The state machine is one table (mqp_jobs.states): the statements, the errors and the README
say what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mqp_jobs import InvalidTransition, JobStore
from mqp_jobs.models import JobStatus
from mqp_jobs.queries import sql_dir
from mqp_jobs.states import (
    CANCEL,
    CLAIM,
    CLAIMED,
    COMPLETE,
    CREATED,
    FAIL,
    REQUEUE,
    TRANSITIONS,
    UPDATE_HYBRID,
    Transition,
)

README = Path(__file__).resolve().parent.parent / "README.md"
_STATUS_LITERAL = re.compile(r"'(PENDING|WAITING|COMPLETED|CANCELLED|FAILED|[A-Z]+)'")

# The guarded UPDATEs of one job or a batch: their statuses are parameters from the table.
GUARDED = (
    "complete_job",
    "complete_jobs",
    "complete_hamiltonian_job",
    "complete_hamiltonian_jobs",
    "cancel_job",
    "cancel_hamiltonian_job",
    "fail_job",
    "fail_hamiltonian_job",
    "update_hybrid_job",
)

# Statements that read a partial index keep the literal its predicate needs: the statuses
# they may name, from the table.
LITERAL = {
    "lock_claim_groups": {*CLAIM.from_statuses, CLAIMED},
    "lock_claim_line": {*CLAIM.from_statuses, CLAIMED},
    "lock_claim_jobs": {*CLAIM.from_statuses, CLAIMED},
    "move_claimed_jobs": {*CLAIM.from_statuses, CLAIM.to_status},
    "claim_hamiltonian_jobs": {*CLAIM.from_statuses, CLAIM.to_status},
    "requeue_stale_circuit_jobs": {*REQUEUE.from_statuses},
    "requeue_stale_hamiltonian_jobs": {*REQUEUE.from_statuses},
    "group_within_active_job_limit": {CLAIMED},
    "create_job": {CREATED},
    "create_jobs": {CREATED},
    "create_hamiltonian_job": {CREATED},
}


def _statement(name: str) -> str:
    text = (sql_dir() / f"{name}.sql").read_text()
    # Comments may name statuses in words; only the SQL counts.
    return "\n".join(line.split("--")[0] for line in text.splitlines())


@pytest.mark.parametrize("name", GUARDED)
def test_a_guarded_update_takes_its_statuses_from_the_table(name: str) -> None:
    text = _statement(name)
    assert _STATUS_LITERAL.findall(text) == []
    assert "status = ANY (%(from_statuses)s::text[])" in text


@pytest.mark.parametrize("name", sorted(LITERAL))
def test_a_status_written_out_for_a_partial_index_is_the_tables(name: str) -> None:
    found = set(_STATUS_LITERAL.findall(_statement(name)))
    assert found == {str(status) for status in LITERAL[name]}


def test_the_partial_indexes_are_on_the_claims_statuses() -> None:
    for migration in ("0004_job_indexes_concurrently", "0005_claim_indexes_concurrently"):
        text = (sql_dir() / "schema" / f"{migration}.sql").read_text()
        found = set(re.findall(r"WHERE status = '(\w+)'", text))
        assert found and found <= {*CLAIM.from_statuses, CLAIMED}, migration


def test_every_status_the_table_names_is_a_known_status() -> None:
    for transition in TRANSITIONS:
        for status in (*transition.from_statuses, transition.to_status, transition.or_to):
            assert status is None or isinstance(status, JobStatus)


def _readme_table() -> tuple[list[str], dict[str, list[str]]]:
    """The README's state-machine table: its column heads, and each from-status's cells."""
    text = README.read_text()
    section = text.split("### The state machine", 1)[1]
    table: list[list[str]] = []
    for line in section.splitlines():
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif table:
            break
    head, _rule, *body = table
    return head[1:], {row[0].strip("`"): row[1:] for row in body}


def _column(head: str) -> Transition:
    by_name = {t.name: t for t in TRANSITIONS}
    found = [by_name[name] for name in by_name if re.search(rf"\b{name}", head)]
    assert len(found) == 1, head
    return found[0]


def test_the_readme_table_says_what_the_table_says() -> None:
    heads, rows = _readme_table()
    assert set(rows) == {str(status) for status in JobStatus}
    assert {_column(head).name for head in heads} == {t.name for t in TRANSITIONS} - {"requeue"}
    for place, head in enumerate(heads):
        transition = _column(head)
        for status, cells in rows.items():
            cell = cells[place]
            allowed = "→" in cell or cell.startswith("allowed")
            assert allowed == (status in transition.from_statuses), (head, status, cell)
            if not allowed:
                assert cell == "\u2013" or "InvalidTransition" in cell, (head, status, cell)
            targets = set(re.findall(r"→ `(\w+)`", cell))
            expected = {s for s in (transition.to_status, transition.or_to) if s is not None}
            assert targets <= expected, (head, status, cell)
            if transition.to_status is not None and allowed:
                assert str(transition.to_status) in targets, (head, status, cell)


def test_the_error_names_the_statuses_the_table_allows(store: JobStore, portal: object) -> None:
    job = store.create_job(10, "c", "alice", "alice-grant", "target-qpu-a", "qasm2")
    with pytest.raises(InvalidTransition) as refused:
        store.fail_job(job.id, "no runner has it")
    assert str(refused.value) == (
        f"circuit job {job.id} is {CREATED}; {FAIL.action} needs it {FAIL.needs}"
    )
    store.cancel_job(job.id, "not needed")
    for call, transition in (
        (lambda: store.cancel_job(job.id, "again"), CANCEL),
        (lambda: store.complete_job_with_result(job.id, "r", "qpu-a", "c", ""), COMPLETE),
    ):
        with pytest.raises(InvalidTransition, match=transition.needs):
            call()
    assert UPDATE_HYBRID.needs == "PENDING or WAITING"
