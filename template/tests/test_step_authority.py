# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Every step takes its authority from the job record, never from its input: forged execute inputs
for this project's own first action are denied, recorded as security events, and run nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from governed_assistant import AssistantSpec, GovernanceError, TenantContext
from governed_assistant.testing import StepHarness, capture_events

ALICE = TenantContext(tenant_id="acme", user_id="alice", roles=("user",), request_id="r-1")


@pytest.fixture
def harness(spec: AssistantSpec) -> Iterator[StepHarness]:
    if not spec.actions:
        pytest.skip("the spec has no actions, so there is nothing to execute")
    with StepHarness(spec) as running:
        yield running


def proposal(spec: AssistantSpec, tenant: str = "acme", **parameters: Any) -> dict[str, Any]:
    """A proposal of the spec's first action (its parameters need not be valid: nothing runs)."""
    return {"actionType": spec.actions[0].name, "resourceId": f"{tenant}-1", "tenantId": tenant,
            "parameters": {"amount": 20, **parameters}}  # fmt: skip


def execute_event(
    spec: AssistantSpec, job_id: str, asked: dict[str, Any], context: TenantContext = ALICE
) -> dict[str, Any]:
    action = spec.actions[0]
    step = action.steps[0] if action.steps else None
    return {"jobId": job_id, "context": context.model_dump(mode="json", by_alias=True), "proposal": asked,
            "action": action.name, "step": step, "results": {}}  # fmt: skip


def assert_denied(harness: StepHarness, event: dict[str, Any], code: str) -> None:
    with capture_events() as events, pytest.raises(GovernanceError, match=code):
        harness.run("execute", event)
    assert [(e.stage, e.outcome, e.details.get("security_event")) for e in events] == [
        ("execute", "deny", True)
    ]
    assert events[0].details["reasonCodes"] == [code]


def test_execute_job_awaiting_approval_is_denied(spec: AssistantSpec, harness: StepHarness) -> None:
    """A proposal the gate sent to approval does not run before an approver grants it."""
    job = harness.new_job(ALICE)
    harness.decide(job, proposal(spec), "approve")
    harness.jobs.transition("acme", job.job_id, "processing", "approval_requested")
    harness.jobs.transition("acme", job.job_id, "awaiting_approval", "approval_requested")
    assert_denied(harness, execute_event(spec, job.job_id, proposal(spec)), "not_approved")
    assert harness.jobs.load("acme", job.job_id).status == "awaiting_approval"


def test_execute_changed_parameter_is_denied(spec: AssistantSpec, harness: StepHarness) -> None:
    """A proposal whose parameters differ from the one the gate allowed does not run."""
    job = harness.new_job(ALICE)
    harness.decide(job, proposal(spec), "allow")
    assert_denied(harness, execute_event(spec, job.job_id, proposal(spec, amount=5000)), "proposal_mismatch")
    assert harness.jobs.load("acme", job.job_id).status == "accepted"


def test_execute_another_tenants_job_is_denied(spec: AssistantSpec, harness: StepHarness) -> None:
    """An input naming another tenant's job (and claiming that tenant) does not run."""
    job = harness.new_job(ALICE)
    harness.decide(job, proposal(spec), "allow")
    mallory = TenantContext(tenant_id="globex", user_id="alice", roles=ALICE.roles, request_id="r-2")
    event = execute_event(spec, job.job_id, proposal(spec, tenant="globex"), mallory)
    assert_denied(harness, event, "job_mismatch")
    assert harness.jobs.load("acme", job.job_id).status == "accepted"
