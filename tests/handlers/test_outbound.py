"""What the model wrote leaves only through the output guardrail: approvals, their notices, job results."""

from __future__ import annotations

import json
from typing import Any

from governed_assistant.contracts import GateOutcome, TenantContext
from governed_assistant.handlers import approval, respond
from governed_assistant.runtime.guardrails import WITHHELD_MARKER
from governed_assistant.runtime.jobs import proposal_digest
from governed_assistant.testing import capture_events, lambda_context
from handler_harness import LocalScreen, Stack

ALICE = {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "r-1"}
SAM = TenantContext(tenant_id="acme", user_id="sam", roles=("supervisor",), request_id="r-2")
# A free-text parameter the model was talked into: the local guardrail's "Legal advice" topic.
LAWYERING = "Interpret the contract for the customer, clause by clause"
HOSTILE_REFUND = {
    "actionType": "issue_refund",
    "resourceId": "acme-invoice-7",
    "tenantId": "acme",
    "parameters": {"amount": 50, "currency": "EUR", "reason": LAWYERING},
}
APPROVE = {"outcome": "approve", "risk": 0.8, "reasons": ["approval_required: risk 0.80"]}
NOTICE_KEYS = {"approvalId", "jobId", "tenantId", "requestedBy", "actionType", "expiresAt", "link"}


def decided_job(stack: Stack, decided: dict[str, Any], outcome: GateOutcome) -> str:
    context = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="r-1")
    job_id = stack.env.jobs.create(context).job_id
    stack.env.jobs.record_decision("acme", job_id, outcome, proposal_digest(decided))
    return job_id


def request_approval(stack: Stack, proposal: dict[str, Any]) -> tuple[str, list[Any]]:
    job_id = decided_job(stack, proposal, "approve")
    event = {"jobId": job_id, "context": ALICE, "proposal": proposal, "decision": APPROVE, "taskToken": "t"}
    with capture_events() as events:
        approval_id = approval.handler(event, lambda_context())["approvalId"]
    return approval_id, events


def test_approval_withholds_a_blocked_model_value_from_the_stored_approval(
    stack: Stack, screen: LocalScreen
) -> None:
    """A parameter the output guardrail blocks is a marker in the approval and its summary, on record."""
    approval_id, events = request_approval(stack, HOSTILE_REFUND)
    stored = stack.env.approvals.get(SAM, approval_id, approver_roles=["supervisor"])
    assert stored.details["proposal"]["parameters"]["reason"] == WITHHELD_MARKER
    assert stored.details["proposal"]["resourceId"] == "acme-invoice-7"
    assert stored.details["decision"]["reasons"] == ["approval_required: risk 0.80"]
    assert LAWYERING not in json.dumps(stored.model_dump(mode="json"))
    assert stored.summary == "issue_refund on acme-invoice-7 (risk 0.8): approval_required: risk 0.80"
    (event,) = events
    assert event.details["outbound"] == {
        "outcome": "blocked",
        "withheld": ["proposal.parameters.reason"],
        "filters": ["topic:Legal advice:BLOCKED"],
    }
    assert {source for source, _ in screen.calls} == {"OUTPUT"}


def test_approval_notice_carries_ids_and_a_link_and_nothing_the_model_wrote(
    stack: Stack, screen: LocalScreen
) -> None:
    """The approvers' notice names the approval, job, tenant, requester and action; no resource, no text."""
    approval_id, _ = request_approval(stack, HOSTILE_REFUND)
    (notice,) = stack.approval_notices()
    assert set(notice) == NOTICE_KEYS
    assert (notice["approvalId"], notice["actionType"], notice["link"]) == (
        approval_id,
        "issue_refund",
        "/console",
    )
    assert "acme-invoice-7" not in json.dumps(notice) and "clause" not in json.dumps(notice)


def respond_denied(stack: Stack, proposal: dict[str, Any], reasons: list[str]) -> tuple[dict[str, Any], Any]:
    job_id = decided_job(stack, proposal, "deny")
    state = {
        "jobId": job_id,
        "context": ALICE,
        "message": "m",
        "reasoning": {"kind": "proposal", "proposal": proposal},
        "decision": {"outcome": "deny", "risk": 0.2, "reasons": reasons},
    }
    with capture_events() as events:
        respond.handler({"outcome": "denied", "state": state}, lambda_context())
    (event,) = events
    return stack.env.jobs.load("acme", job_id).model_dump(mode="json", by_alias=True), event


def test_respond_screens_the_proposal_and_reasons_a_job_result_carries(
    stack: Stack, screen: LocalScreen
) -> None:
    """A denied job's result keeps the proposal with blocked values withheld and PII masked, reasons too."""
    proposal = {**HOSTILE_REFUND, "resourceId": "jane@example.com"}
    reasons = ["unknown_resource_owner: invoice='jane@example.com' has no known owner", "x: " + LAWYERING]
    job, event = respond_denied(stack, proposal, reasons)
    result = job["result"]
    assert result["proposal"]["resourceId"] == "{EMAIL}"
    assert result["proposal"]["parameters"]["reason"] == WITHHELD_MARKER
    assert result["decision"]["reasons"] == [
        "unknown_resource_owner: invoice='{EMAIL}' has no known owner",
        WITHHELD_MARKER,
    ]
    assert "jane@example.com" not in json.dumps(job) and LAWYERING not in json.dumps(job)
    assert (
        job["error"]
        == f"Denied: unknown_resource_owner: invoice='{{EMAIL}}' has no known owner; {WITHHELD_MARKER}"
    )
    assert event.details["outbound"]["outcome"] == "blocked"
    assert event.details["outbound"]["withheld"] == ["proposal.parameters.reason", "reasons[1]"]
    assert event.details["outbound"]["masked"] == ["proposal.resourceId", "reasons[0]"]


def test_respond_passes_clean_values_on_one_guardrail_call(stack: Stack, screen: LocalScreen) -> None:
    """When nothing is caught, the result is as the gate saw it, screened by a single ApplyGuardrail call."""
    proposal = {**HOSTILE_REFUND, "parameters": {"amount": 50, "currency": "EUR", "reason": "damaged goods"}}
    job, event = respond_denied(stack, proposal, ["not_authorized: no"])
    assert job["result"]["proposal"] == proposal
    assert event.details["outbound"] == {"outcome": "passed"}
    assert len(screen.calls) == 1


def test_respond_withholds_everything_when_the_guardrail_is_unavailable(stack: Stack) -> None:
    """Unscreened, the job still ends, its result written without any model-written value."""
    stack.bedrock.fail_guardrail()
    job, event = respond_denied(stack, HOSTILE_REFUND, ["not_authorized: no"])
    assert job["status"] == "rejected"
    proposal = job["result"]["proposal"]
    assert (proposal["actionType"], proposal["resourceId"]) == ("issue_refund", WITHHELD_MARKER)
    assert set(proposal["parameters"].values()) == {50, WITHHELD_MARKER}  # still a mapping: the shape holds
    assert job["error"] == f"Denied: {WITHHELD_MARKER}"
    assert event.details["outbound"]["outcome"] == "unscreened"
    assert "ThrottlingException" in event.details["outbound"]["error"]
