"""A job records its gate decision for one exact proposal, once; both stores keep the same rules."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.contracts import GateOutcome, JobStatus
from governed_assistant.runtime.jobs import (
    DecisionConflictError,
    JobNotFoundError,
    JobStore,
    proposal_digest,
)
from job_fakes import context

ALICE = context("acme", "alice", "agent")
REFUND = {"actionType": "issue_refund", "resourceId": "acme-7", "tenantId": "acme",
          "parameters": {"amount": 20, "currency": "EUR"}}  # fmt: skip
DIGEST = proposal_digest(REFUND)


def test_proposal_digest_same_proposal_in_any_key_order_matches() -> None:
    """The digest is of canonical JSON: key order and the tenant field do not change it."""
    reordered = {"parameters": {"currency": "EUR", "amount": 20}, "resourceId": "acme-7",
                 "actionType": "issue_refund"}  # fmt: skip
    assert proposal_digest(reordered) == DIGEST
    assert len(DIGEST) == 64 and int(DIGEST, 16) >= 0


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"parameters": {"amount": 2000, "currency": "EUR"}}, id="changed-amount"),
        pytest.param({"parameters": {"amount": "20", "currency": "EUR"}}, id="amount-as-text"),
        pytest.param({"parameters": {"amount": 20, "currency": "EUR", "to": "x"}}, id="added-parameter"),
        pytest.param({"resourceId": "acme-8"}, id="other-resource"),
        pytest.param({"actionType": "update_ticket_status"}, id="other-action"),
    ],
)
def test_proposal_digest_changed_proposal_differs(changes: dict[str, Any]) -> None:
    """Any change to what would run, or on what, gives another digest."""
    assert proposal_digest({**REFUND, **changes}) != DIGEST


def test_record_decision_is_stored_with_its_digest(store: JobStore) -> None:
    """The decision and digest are on the job as every later read sees it."""
    job = store.create(ALICE)
    recorded = store.record_decision("acme", job.job_id, "approve", DIGEST)
    assert (recorded.decision, recorded.proposal_digest, recorded.approval_id) == ("approve", DIGEST, None)
    assert store.load("acme", job.job_id) == recorded


def test_record_decision_same_again_is_a_no_op(store: JobStore) -> None:
    """A redelivered gate event records the same decision again without an error."""
    job = store.create(ALICE)
    store.record_decision("acme", job.job_id, "allow", DIGEST)
    again = store.record_decision("acme", job.job_id, "allow", DIGEST)
    assert (again.decision, again.proposal_digest) == ("allow", DIGEST)


@pytest.mark.parametrize(
    ("decision", "digest"),
    [
        pytest.param(
            "allow", proposal_digest({**REFUND, "parameters": {"amount": 2000}}), id="other-proposal"
        ),
        pytest.param("approve", DIGEST, id="other-outcome"),
    ],
)
def test_record_decision_over_another_decision_raises_conflict(
    store: JobStore, decision: GateOutcome, digest: str
) -> None:
    """A job is decided once: another outcome or another proposal is refused, the first one kept."""
    job = store.create(ALICE)
    store.record_decision("acme", job.job_id, "allow", DIGEST)
    with pytest.raises(DecisionConflictError, match="already decided"):
        store.record_decision("acme", job.job_id, decision, digest)
    assert store.load("acme", job.job_id).proposal_digest == DIGEST


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(("processing", "awaiting_approval"), id="awaiting-approval"),
        pytest.param(("processing", "complete"), id="complete"),
        pytest.param(("rejected",), id="rejected"),
    ],
)
def test_record_decision_waiting_or_final_job_raises_conflict(
    store: JobStore, path: tuple[JobStatus, ...]
) -> None:
    """A job waiting for approval or already final takes no (new) decision."""
    job = store.create(ALICE)
    for status in path:
        store.transition("acme", job.job_id, status, status)
    with pytest.raises(DecisionConflictError, match=f"the job is {path[-1]}"):
        store.record_decision("acme", job.job_id, "allow", DIGEST)
    assert store.load("acme", job.job_id).decision is None


def test_record_decision_other_tenants_job_raises_not_found(store: JobStore) -> None:
    """The write is keyed by tenant: another tenant's job cannot be decided."""
    job = store.create(ALICE)
    with pytest.raises(JobNotFoundError):
        store.record_decision("globex", job.job_id, "allow", DIGEST)


def test_record_approval_after_approve_is_stored(store: JobStore) -> None:
    """A job decided ``approve`` records the approval it asked for, also while it waits."""
    job = store.create(ALICE)
    store.record_decision("acme", job.job_id, "approve", DIGEST)
    store.transition("acme", job.job_id, "processing", "approval_requested")
    store.transition("acme", job.job_id, "awaiting_approval", "approval_requested")
    assert store.record_approval("acme", job.job_id, "ap-1").approval_id == "ap-1"
    assert store.record_approval("acme", job.job_id, "ap-1").approval_id == "ap-1"


@pytest.mark.parametrize(
    ("decision", "problem"),
    [
        pytest.param(None, "recorded decision is None", id="undecided"),
        pytest.param("allow", "recorded decision is allow", id="allowed"),
        pytest.param("approve", "another approval", id="other-approval"),
    ],
)
def test_record_approval_without_approve_or_for_another_raises_conflict(
    store: JobStore, decision: GateOutcome | None, problem: str
) -> None:
    """An approval is recorded only for a job the gate sent to approval, and only one."""
    job = store.create(ALICE)
    if decision is not None:
        store.record_decision("acme", job.job_id, decision, DIGEST)
    if decision == "approve":
        store.record_approval("acme", job.job_id, "ap-1")
    with pytest.raises(DecisionConflictError, match=problem):
        store.record_approval("acme", job.job_id, "ap-2")
