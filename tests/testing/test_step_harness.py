"""StepHarness: the steps that let model-written values out screen them, in process, as deployed."""

from __future__ import annotations

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.guardrails import WITHHELD_MARKER
from governed_assistant.spec import parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.testing import StepHarness

from tests.conftest import preset_document

ALICE = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="r-1")


def test_step_harness_respond_screens_the_denied_proposal_with_the_specs_guardrail() -> None:
    """A denied job's result keeps the proposal, with the value the spec's denied topic blocks withheld."""
    document = preset_document()
    document["guardrails"] = {
        "denied_topics": [{"name": "Legal advice", "definition": "Interpreting contracts as a lawyer."}],
        "pii_entities": [],
        "pii_action": "anonymize",
    }
    spec = parse_spec(render_spec_yaml(document))
    reason = "Interpret the contract as a lawyer"
    proposal = {"actionType": "issue_refund", "resourceId": "acme-1", "tenantId": "acme",
                "parameters": {"amount": 5, "currency": "EUR", "reason": reason}}  # fmt: skip
    with StepHarness(spec) as harness:
        job = harness.new_job(ALICE)
        harness.decide(job, proposal, "deny")
        state = {"jobId": job.job_id, "context": ALICE.model_dump(mode="json", by_alias=True),
                 "reasoning": {"kind": "proposal", "proposal": proposal},
                 "decision": {"outcome": "deny", "risk": 0.1, "reasons": ["not_authorized: no"]}}  # fmt: skip
        harness.run("respond", {"outcome": "denied", "state": state})
        result = harness.jobs.load("acme", job.job_id).result
    assert result is not None
    assert result["proposal"]["parameters"]["reason"] == WITHHELD_MARKER
    assert result["proposal"]["resourceId"] == "acme-1"
