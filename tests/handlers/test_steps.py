"""The state machine's tasks, each called with the payload governed_assistant.infra.asl gives it."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from governed_assistant.contracts import GateOutcome, TenantContext
from governed_assistant.handlers import approval, compensate, execute, gate, guardrail_output, reason, respond
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import ActionFailedError, StepDeniedError, StepInputError
from governed_assistant.runtime.flags import KILL_SWITCH, build_flags_document, write_flags_file
from governed_assistant.runtime.jobs import proposal_digest
from governed_assistant.runtime.retrieval import RetrievedChunk
from governed_assistant.runtime.telemetry import SECURITY_EVENT_KEY
from governed_assistant.testing import capture_events, lambda_context
from handler_harness import Stack, ledger

ALICE = {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "r-1"}


def new_job(stack: Stack, tenant: str = "acme", user: str = "alice") -> str:
    context = TenantContext(tenant_id=tenant, user_id=user, roles=("agent",), request_id="r-1")
    return stack.env.jobs.create(context).job_id


def proposal(action: str = "update_ticket_status", resource: str = "acme-1", tenant: str = "acme",
             parameters: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"actionType": action, "resourceId": resource, "tenantId": tenant,
            "parameters": {"status": "solved"} if parameters is None else parameters}  # fmt: skip


def decided_job(stack: Stack, decided: dict[str, Any] | None = None, outcome: GateOutcome = "allow") -> str:
    """A job of alice's whose recorded gate decision is ``outcome`` for ``decided`` (the default proposal)."""
    job_id = new_job(stack)
    stack.env.jobs.record_decision("acme", job_id, outcome, proposal_digest(decided or proposal()))
    return job_id


def switch_kill_switch(stack: Stack, on: bool) -> None:
    """Rewrite the flags file the handlers read (it is re-read when it changes)."""
    document = build_flags_document(stack.spec, live_tenants=["acme", "globex"])
    document[KILL_SWITCH] = {"default": on}
    write_flags_file(os.environ["GOVERNED_FLAGS_FILE"], document)


def status_of(stack: Stack, job_id: str) -> tuple[str, str]:
    job = stack.env.jobs.load("acme", job_id)
    return job.status, job.stage


class FakeRetriever:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def retrieve(self, context: TenantContext, query: str, *, limit: int = 5) -> list[RetrievedChunk]:
        self.asked.append((context.tenant_id, query))
        return [RetrievedChunk("Refunds take 5 days.", "kb://acme/refunds.md", 0.91)]


def test_reason_answer_records_model_and_tokens(stack: Stack) -> None:
    """A plain answer comes back as kind answer; the reason event carries the model id and tokens."""
    stack.bedrock.answer("Tickets close when solved.", input_tokens=111, output_tokens=22)
    job_id = new_job(stack)
    with capture_events() as events:
        result = reason.handler(
            {"jobId": job_id, "context": ALICE, "message": "How do tickets close?"}, lambda_context()
        )
    assert result == {"kind": "answer", "text": "Tickets close when solved.", "sources": []}
    (event,) = events
    assert (event.stage, event.outcome, event.input_tokens, event.output_tokens) == (
        "reason",
        "answer",
        111,
        22,
    )
    assert event.model_id == stack.spec.model_id


def test_reason_tool_use_becomes_a_proposal(stack: Stack) -> None:
    """The model's tool use is handed on as an ActionProposal in wire form, for the gate to judge."""
    stack.bedrock.propose(
        "update_ticket_status",
        {"resourceId": "acme-1", "tenantId": "acme", "parameters": {"status": "solved", "note": None}},
    )
    result = reason.handler(
        {"jobId": new_job(stack), "context": ALICE, "message": "close acme-1"}, lambda_context()
    )
    assert result == {"kind": "proposal", "proposal": proposal(parameters={"status": "solved", "note": None})}


@pytest.mark.parametrize(
    ("tool_input", "location"),
    [
        pytest.param(
            {"resourceId": "acme-1", "parameters": {"status": "solved"}},
            "toolUse.input.tenantId",
            id="tenant-missing",
        ),
        pytest.param(
            {"resourceId": "acme-1\x00", "tenantId": "acme", "parameters": {"status": "solved"}},
            "toolUse.input.resourceId",
            id="resource-nul",
        ),
        pytest.param(
            {"resourceId": "acme-1\nacme-2", "tenantId": "acme", "parameters": {"status": "solved"}},
            "toolUse.input.resourceId",
            id="resource-newline",
        ),
        pytest.param(
            {"resourceId": "acme-\t1", "tenantId": "acme", "parameters": {"status": "solved"}},
            "toolUse.input.resourceId",
            id="resource-tab",
        ),
        pytest.param(
            {"resourceId": "acme-1\u2028", "tenantId": "acme", "parameters": {"status": "solved"}},
            "toolUse.input.resourceId",
            id="resource-unicode-line-separator",
        ),
        pytest.param(
            {"resourceId": "acme-" + "1" * 252, "tenantId": "acme", "parameters": {"status": "solved"}},
            "toolUse.input.resourceId",
            id="resource-over-long",
        ),
        pytest.param(
            {"resourceId": "acme-1", "tenantId": 42, "parameters": {"status": "solved"}},
            "toolUse.input.tenantId",
            id="tenant-not-a-string",
        ),
        pytest.param(
            {"resourceId": "acme-1\x00", "tenantId": "globex", "parameters": {"status": "solved"}},
            "toolUse.input.resourceId",
            id="resource-nul-other-tenant",
        ),
        pytest.param(
            {"resourceId": "acme-1\n", "tenantId": "acme", "parameters": {"x": [{"tenantId": "globex"}]}},
            "toolUse.input.resourceId",
            id="resource-newline-nested-other-tenant",
        ),
    ],
)
def test_reason_malformed_tool_use_reaches_gate_as_malformed_and_is_denied(
    stack: Stack, tool_input: dict[str, Any], location: str
) -> None:
    """A tool use that does not parse travels on as a malformed proposal, not as sent; the gate denies it."""
    stack.bedrock.propose("update_ticket_status", tool_input)
    job_id = new_job(stack)
    with capture_events() as events:
        result = reason.handler({"jobId": job_id, "context": ALICE, "message": "close it"}, lambda_context())
        decision = gate.handler(
            {"jobId": job_id, "context": ALICE, "proposal": result["proposal"]}, lambda_context()
        )
    sent = result["proposal"]
    assert sent["malformed"] is True and location in sent["problem"]
    assert not {"actionType", "resourceId", "tenantId", "parameters"} & set(sent), sent
    assert [(e.stage, e.outcome) for e in events] == [("reason", "malformed_proposal"), ("gate", "deny")]
    foreign = tool_input.get("tenantId", "acme") != "acme" or "globex" in json.dumps(tool_input)
    codes = ["malformed_proposal", "tenant_mismatch"] if foreign else ["malformed_proposal"]
    assert (decision["outcome"], decision["reasonCodes"]) == ("deny", codes)
    assert location in decision["reasons"][0]
    assert events[1].details["reasonCodes"] == codes
    assert decision["securityEvent"] is foreign
    assert (events[1].details.get("security_event") is True) is foreign


def test_reason_with_retrieval_cites_sources_in_the_prompt(stack: Stack) -> None:
    """Retrieved passages, screened, go into the prompt with their sources; the answer lists them."""
    retriever = FakeRetriever()
    stack.env._parts["retriever"] = retriever
    sent: list[dict[str, Any]] = []
    stack.bedrock.client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: sent.append(params)
    )
    stack.bedrock.screen_pass()
    stack.bedrock.answer("Refunds take 5 days [1].")
    with capture_events() as events:
        result = reason.handler(
            {"jobId": new_job(stack), "context": ALICE, "message": "refund time?"}, lambda_context()
        )
    assert retriever.asked == [("acme", "refund time?")]
    prompt = json.dumps(sent[0]["messages"])
    assert 'ref=\\"1\\" source=\\"kb://acme/refunds.md\\"' in prompt and "Refunds take 5 days." in prompt
    assert result["sources"] == [{"ref": 1, "source": "kb://acme/refunds.md", "score": 0.91}]
    assert [e.stage for e in events] == ["retrieve", "guardrail_context", "reason"]


def test_gate_allows_a_proposal_within_policy(stack: Stack) -> None:
    """A valid, owned, permitted, low-risk proposal is allowed."""
    job_id = new_job(stack)
    with capture_events() as events:
        decision = gate.handler({"jobId": job_id, "context": ALICE, "proposal": proposal()}, lambda_context())
    assert (decision["outcome"], decision["securityEvent"]) == ("allow", False)
    assert [(e.stage, e.outcome) for e in events] == [("gate", "allow")]


def test_gate_proposal_for_another_tenant_is_denied_as_security_event(stack: Stack) -> None:
    """A proposal naming another tenant is denied and recorded as a security event."""
    job_id = new_job(stack)
    with capture_events() as events:
        decision = gate.handler(
            {"jobId": job_id, "context": ALICE, "proposal": proposal(resource="globex-1", tenant="globex")},
            lambda_context(),
        )
    assert decision["outcome"] == "deny"
    assert "tenant_mismatch" in decision["reasonCodes"] and decision["securityEvent"] is True
    assert events[0].details["security_event"] is True


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({**ALICE, "tenantId": "globex"}, id="state-names-another-tenant"),
        pytest.param({**ALICE, "userId": "mallory"}, id="state-names-another-user"),
        pytest.param({**ALICE, "roles": ["agent", "supervisor"]}, id="state-adds-a-role"),
    ],
)
def test_gate_uses_the_job_record_not_a_forged_state_context(stack: Stack, forged: dict[str, Any]) -> None:
    """A state context the job record does not back is denied, even with a proposal that matches it."""
    job_id = new_job(stack)
    forged_proposal = proposal(resource=f"{forged['tenantId']}-1", tenant=forged["tenantId"])
    with capture_events() as events:
        decision = gate.handler(
            {"jobId": job_id, "context": forged, "proposal": forged_proposal}, lambda_context()
        )
    assert (decision["outcome"], decision["reasonCodes"], decision["securityEvent"]) == (
        "deny",
        ["job_mismatch"],
        True,
    )
    assert events[0].details["security_event"] is True


def test_gate_high_risk_needs_approval(stack: Stack) -> None:
    """A proposal at or above the approval threshold waits for a human."""
    refund = stack.spec.action("issue_refund")
    assert refund is not None and refund.risk >= stack.spec.risk.approval
    parameters = {"amount": 50, "currency": "EUR", "reason": "damaged goods"}
    decision = gate.handler(
        {
            "jobId": new_job(stack),
            "context": ALICE,
            "proposal": proposal("issue_refund", parameters=parameters),
        },
        lambda_context(),
    )
    assert (decision["outcome"], decision["reasonCodes"]) == ("approve", ["approval_required"])


REFUND = proposal("issue_refund", parameters={"amount": 50, "currency": "EUR", "reason": "damaged goods"})


def approval_event(job_id: str, asked: dict[str, Any] | None = None) -> dict[str, Any]:
    decision = {"outcome": "approve", "risk": 0.8, "reasons": ["approval_required: risk 0.80"]}
    return {"jobId": job_id, "context": ALICE, "proposal": asked or REFUND, "decision": decision,
            "taskToken": "tok-123"}  # fmt: skip


def test_approval_stores_token_server_side_and_notifies_without_it(stack: Stack) -> None:
    """The approval is stored for the job's requester, the topic hears of it without the token."""
    job_id = decided_job(stack, REFUND, "approve")
    stack.bedrock.screen_pass()
    with capture_events() as events:
        result = approval.handler(approval_event(job_id), lambda_context())
    assert status_of(stack, job_id) == ("awaiting_approval", "approval_requested")
    assert stack.env.jobs.load("acme", job_id).approval_id == result["approvalId"]
    (notice,) = stack.approval_notices()
    assert notice["approvalId"] == result["approvalId"] and notice["requestedBy"] == "alice"
    assert "tok-123" not in json.dumps(notice)
    approver = TenantContext(tenant_id="acme", user_id="sam", roles=("supervisor",), request_id="r")
    decided = stack.env.approvals.decide(approver, result["approvalId"], True, approver_roles=["supervisor"])
    assert decided.task_token == "tok-123"  # noqa: S105 - a test token, not a secret
    assert [(e.stage, e.outcome) for e in events] == [("approval_requested", "requested")]
    assert events[0].details["outbound"] == {"outcome": "passed"}


def execute_event(job_id: str, **changes: Any) -> dict[str, Any]:
    return {"jobId": job_id, "context": ALICE, "proposal": proposal(), "action": "update_ticket_status",
            "step": None, "results": {}, **changes}  # fmt: skip


def test_execute_same_event_twice_runs_the_action_once(stack: Stack) -> None:
    """A redelivered execute event gets the first run's result; the action ran once."""
    job_id = decided_job(stack)
    first = execute.handler(execute_event(job_id), lambda_context())
    second = execute.handler(execute_event(job_id), lambda_context())
    assert first == second
    assert first["status"] == "succeeded"
    assert [line["function"] for line in ledger(stack.ledger_path)] == ["execute"]
    assert status_of(stack, job_id) == ("processing", "execute:update_ticket_status")


def test_execute_failed_result_raises_and_a_retry_runs_again(stack: Stack) -> None:
    """A failed result raises ActionFailedError (for Retry and Catch) and is not remembered."""
    job_id = decided_job(stack, proposal(resource="acme-broken"))
    event = execute_event(job_id, proposal=proposal(resource="acme-broken"))
    for _ in range(2):
        with pytest.raises(ActionFailedError, match="update_ticket_status execute broke"):
            execute.handler(event, lambda_context())
    assert len(ledger(stack.ledger_path)) == 2


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param(
            {"proposal": proposal(tenant="globex")}, StepInputError, id="proposal-of-another-tenant"
        ),
        pytest.param({"action": "issue_refund"}, StepInputError, id="action-not-the-proposal"),
        pytest.param({"context": {**ALICE, "userId": "mallory"}}, StepDeniedError, id="user-not-the-jobs"),
        pytest.param({"context": {**ALICE, "tenantId": "acme#x"}}, StepInputError, id="tenant-not-an-id"),
    ],
)
def test_execute_tampered_state_never_runs(
    stack: Stack, changes: dict[str, Any], error: type[Exception]
) -> None:
    """An execute payload that disagrees with itself or the job record runs nothing."""
    with pytest.raises(error):
        execute.handler(execute_event(decided_job(stack), **changes), lambda_context())
    assert ledger(stack.ledger_path) == []


@pytest.mark.parametrize("preset", ["workflow-aware"])
def test_execute_workflow_step_gets_step_and_prior_results(stack: Stack) -> None:
    """A workflow step runs the module's step function with the step's name and the earlier results."""
    action = next(a for a in stack.spec.actions if a.steps)
    parameters = {"period": "2026-Q1", "include_remediation_notes": False}
    job_id = decided_job(stack, proposal(action.name, parameters=parameters))
    event = {"jobId": job_id, "context": ALICE, "proposal": proposal(action.name, parameters=parameters),
             "action": action.name, "step": action.steps[1],
             "results": {action.steps[0]: {"status": "succeeded"}}}  # fmt: skip
    result = execute.handler(event, lambda_context())
    assert result["data"] == {"function": action.steps[1]}
    (line,) = ledger(stack.ledger_path)
    assert (line["step"], line["completed"]) == (action.steps[1], [action.steps[0]])
    assert status_of(stack, job_id)[1] == f"execute:{action.name}.{action.steps[1]} (2/{len(action.steps)})"


def test_compensate_runs_once_with_the_cause(stack: Stack) -> None:
    """Compensation gets what failed and runs once, however often it is delivered."""
    job_id = decided_job(stack)
    stack.env.jobs.transition("acme", job_id, "processing", "execute")
    error = {"Error": "ConnectionError", "Cause": json.dumps({"errorMessage": "downstream refused"})}
    event = {"jobId": job_id, "context": ALICE, "proposal": proposal(), "action": "update_ticket_status",
             "results": {}, "error": error}  # fmt: skip
    with capture_events() as events:
        assert compensate.handler(event, lambda_context())["status"] == "succeeded"
        compensate.handler(event, lambda_context())
    (line,) = ledger(stack.ledger_path)
    assert (line["function"], line["cause"]) == ("compensate", "ConnectionError: downstream refused")
    assert [e.stage for e in events] == ["compensate", "compensate"]


@pytest.mark.parametrize(
    ("reasoning", "results", "screen", "expected"),
    [
        pytest.param({"kind": "answer", "text": "All good."}, {}, "pass", ("All good.", "passed"),
                     id="answer"),
        pytest.param({"kind": "proposal"}, {"a": {"summary": "step a done"}, "b": {"summary": "step b done"}},
                     "pass", ("step a done\nstep b done", "passed"), id="results-summary"),
        pytest.param({"kind": "answer", "text": "Mail bob@x.io"}, {}, "anonymize",
                     ("Mail {EMAIL}", "anonymized"), id="anonymized"),
        pytest.param({"kind": "answer", "text": "bad"}, {}, "block", ("Sorry, no.", "blocked"), id="blocked"),
    ],
)  # fmt: skip
def test_guardrail_output_screens_the_answer(
    stack: Stack, reasoning: dict[str, Any], results: dict[str, Any], screen: str, expected: tuple[str, str]
) -> None:
    """The answer (or the results' summaries) is screened; the guardrail's text replaces it when it acts."""
    {"pass": stack.bedrock.screen_pass, "anonymize": lambda: stack.bedrock.screen_anonymize("Mail {EMAIL}"),
     "block": lambda: stack.bedrock.screen_block("Sorry, no.")}[screen]()  # fmt: skip
    event = {"jobId": new_job(stack), "context": ALICE, "reasoning": reasoning, "results": results}
    result = guardrail_output.handler(event, lambda_context())
    assert (result["text"], result["outcome"]) == expected


@pytest.mark.parametrize(
    ("decision", "outcome", "status", "shadow"),
    [
        pytest.param("allow", "complete", "complete", False, id="complete"),
        pytest.param("shadow", "shadow", "complete", True, id="shadow"),
        pytest.param("deny", "denied", "rejected", False, id="denied"),
        pytest.param("approve", "rejected", "rejected", False, id="rejected"),
        pytest.param("approve", "expired", "rejected", False, id="expired"),
        pytest.param("allow", "failed", "failed", False, id="failed"),
    ],
)
def test_respond_maps_outcome_to_final_status(
    stack: Stack, decision: GateOutcome, outcome: str, status: str, shadow: bool
) -> None:
    """Each recorded outcome ends the job in its status, with the last decision event."""
    job_id = decided_job(stack, outcome=decision)
    if outcome != "complete":
        stack.bedrock.screen_pass()  # the result carries the proposal and the gate's reasons
    state = {"jobId": job_id, "context": ALICE, "message": "m", "results": {},
             "reasoning": {"kind": "proposal", "proposal": proposal()},
             "decision": {"outcome": "deny", "risk": 0.2, "reasons": ["not_authorized: no"]},
             "output": {"text": "Done.", "outcome": "passed"},
             "error": {"Error": "ConnectionError", "Cause": "{}"}}  # fmt: skip
    with capture_events() as events:
        assert respond.handler({"outcome": outcome, "state": state}, lambda_context()) == {
            "recorded": outcome,
            "status": status,
        }
    job = stack.env.jobs.load("acme", job_id)
    assert job.status == status
    assert job.result is not None and job.result.get("shadow", False) is shadow
    assert (job.error is None) is (status == "complete")
    assert [(e.stage, e.outcome) for e in events] == [("complete", outcome)]
    assert job.result.get("proposal", proposal()) == proposal()  # screened, and nothing withheld
    # A redelivery leaves what the user was told as it is (and screens nothing again).
    respond.handler({"outcome": "failed", "state": state}, lambda_context())
    assert stack.env.jobs.load("acme", job_id).status == status
    stack.bedrock.stubber.assert_no_pending_responses()


def test_step_payload_without_context_is_refused(stack: Stack) -> None:
    """A task payload without a valid context is refused, never completed from elsewhere."""
    with pytest.raises(StepInputError, match="context"):
        gate.handler({"jobId": new_job(stack), "proposal": proposal()}, lambda_context())


def test_environment_is_the_configured_one(stack: Stack) -> None:
    """The handlers use the environment the test configured (moto clients, the stubbed Bedrock)."""
    from governed_assistant.handlers.environment import current

    assert isinstance(current(), Environment) and current() is stack.env


def security_denials(events: Any) -> list[tuple[str, str, list[str]]]:
    return [(e.stage, e.outcome, e.details["reasonCodes"]) for e in events if e.details.get("security_event")]


def test_gate_records_its_decision_and_the_proposals_digest_on_the_job(stack: Stack) -> None:
    """The gate's outcome and the digest of the exact proposal it judged are on the job."""
    job_id = new_job(stack)
    gate.handler({"jobId": job_id, "context": ALICE, "proposal": REFUND}, lambda_context())
    job = stack.env.jobs.load("acme", job_id)
    assert (job.decision, job.proposal_digest) == ("approve", proposal_digest(REFUND))


def test_gate_job_decided_for_another_proposal_is_denied_as_security_event(stack: Stack) -> None:
    """A second gate input for a decided job, with another proposal, is denied; the first decision stays."""
    job_id = new_job(stack)
    gate.handler({"jobId": job_id, "context": ALICE, "proposal": proposal()}, lambda_context())
    forged = proposal(parameters={"status": "closed"})
    with capture_events() as events:
        decision = gate.handler({"jobId": job_id, "context": ALICE, "proposal": forged}, lambda_context())
    assert (decision["outcome"], decision["reasonCodes"], decision["securityEvent"]) == (
        "deny",
        ["job_mismatch"],
        True,
    )
    assert events[0].details["security_event"] is True
    assert stack.env.jobs.load("acme", job_id).proposal_digest == proposal_digest(proposal())


def _awaiting_approval(stack: Stack) -> tuple[str, dict[str, Any]]:
    """A refund job the gate sent to approval, whose approval is still pending."""
    job_id = decided_job(stack, REFUND, "approve")
    approval.handler(approval_event(job_id), lambda_context())
    return job_id, execute_event(job_id, proposal=REFUND, action="issue_refund")


def _changed_amount(stack: Stack) -> tuple[str, dict[str, Any]]:
    """An approved refund job, and its proposal with the amount changed."""
    job_id, event = _awaiting_approval(stack)
    approver = TenantContext(tenant_id="acme", user_id="sam", roles=("supervisor",), request_id="r")
    approval_id = stack.env.jobs.load("acme", job_id).approval_id
    assert approval_id is not None
    stack.env.approvals.decide(approver, approval_id, True, approver_roles=["supervisor"])
    changed = {**REFUND, "parameters": {**REFUND["parameters"], "amount": 5000}}
    return job_id, {**event, "proposal": changed}


def _other_tenants_job(stack: Stack) -> tuple[str, dict[str, Any]]:
    """An allowed job of acme's, named by an input that claims to be globex's."""
    job_id = decided_job(stack)
    globex = {**ALICE, "tenantId": "globex"}
    return job_id, execute_event(
        job_id, context=globex, proposal=proposal(resource="globex-1", tenant="globex")
    )


def _other_users_job(stack: Stack) -> tuple[str, dict[str, Any]]:
    job_id = decided_job(stack)
    return job_id, execute_event(job_id, context={**ALICE, "userId": "mallory"})


def _undecided_job(stack: Stack) -> tuple[str, dict[str, Any]]:
    job_id = new_job(stack)
    return job_id, execute_event(job_id)


def _denied_job(stack: Stack) -> tuple[str, dict[str, Any]]:
    job_id = decided_job(stack, outcome="deny")
    return job_id, execute_event(job_id)


def _shadowed_job(stack: Stack) -> tuple[str, dict[str, Any]]:
    job_id = decided_job(stack, outcome="shadow")
    return job_id, execute_event(job_id)


@pytest.mark.parametrize(
    ("forge", "code"),
    [
        pytest.param(_awaiting_approval, "not_approved", id="job-awaiting-approval"),
        pytest.param(_changed_amount, "proposal_mismatch", id="approved-job-changed-amount"),
        pytest.param(_other_tenants_job, "job_mismatch", id="another-tenants-job"),
        pytest.param(_other_users_job, "job_mismatch", id="another-users-job"),
        pytest.param(_undecided_job, "not_decided", id="job-never-gated"),
        pytest.param(_denied_job, "not_decided", id="job-the-gate-denied"),
        pytest.param(_shadowed_job, "not_decided", id="job-in-shadow-mode"),
    ],
)
def test_execute_input_the_job_record_does_not_back_is_denied_as_security_event(
    stack: Stack, forge: Any, code: str
) -> None:
    """A forged execute input is denied with its reason, recorded as a security event; nothing runs."""
    job_id, event = forge(stack)
    before = stack.env.jobs.load("acme", job_id)
    with capture_events() as events, pytest.raises(StepDeniedError, match=code) as denied:
        execute.handler(event, lambda_context())
    assert denied.value.code == code
    assert ledger(stack.ledger_path) == []
    assert security_denials(events) == [("execute", "deny", [code])]
    assert stack.env.jobs.load("acme", job_id).status == before.status


def test_execute_approved_proposal_runs_once_granted(stack: Stack) -> None:
    """The proposal an approver granted runs, exactly as the gate decided it."""
    job_id, event = _changed_amount(stack)
    result = execute.handler({**event, "proposal": REFUND}, lambda_context())
    assert result["status"] == "succeeded"
    assert [line["action"] for line in ledger(stack.ledger_path)] == ["issue_refund"]
    assert status_of(stack, job_id)[0] == "processing"


@pytest.mark.parametrize("preset", ["workflow-aware"])
def test_execute_kill_switch_on_mid_workflow_denies_the_next_step(stack: Stack) -> None:
    """A workflow stops at the next step once the kill switch is on: denied with kill_switch, not run."""
    action = next(a for a in stack.spec.actions if a.steps)
    parameters = {"period": "2026-Q1", "include_remediation_notes": False}
    asked = proposal(action.name, parameters=parameters)
    job_id = decided_job(stack, asked)
    first = {"jobId": job_id, "context": ALICE, "proposal": asked, "action": action.name,
             "step": action.steps[0], "results": {}}  # fmt: skip
    execute.handler(first, lambda_context())
    switch_kill_switch(stack, True)
    second = {**first, "step": action.steps[1], "results": {action.steps[0]: {"status": "succeeded"}}}
    with capture_events() as events, pytest.raises(StepDeniedError, match="kill_switch"):
        execute.handler(second, lambda_context())
    assert [line["step"] for line in ledger(stack.ledger_path)] == [action.steps[0]]
    ((stage, outcome, details),) = [(e.stage, e.outcome, e.details) for e in events]
    assert (stage, outcome, details["reasonCodes"], SECURITY_EVENT_KEY in details) == (
        "execute",
        "deny",
        ["kill_switch"],
        False,
    )


def test_execute_kill_switch_on_after_approval_denies_the_action(stack: Stack) -> None:
    """An approval granted before the kill switch was switched on does not run the action after it."""
    job_id, event = _changed_amount(stack)
    switch_kill_switch(stack, True)
    with pytest.raises(StepDeniedError, match="kill_switch"):
        execute.handler({**event, "proposal": REFUND}, lambda_context())
    assert ledger(stack.ledger_path) == []
    assert status_of(stack, job_id)[0] == "awaiting_approval"


def _changed_parameter(stack: Stack) -> tuple[str, dict[str, Any]]:
    job_id = decided_job(stack)
    return job_id, execute_event(job_id, proposal=proposal(parameters={"status": "closed"}))


@pytest.mark.parametrize(
    ("forge", "code"),
    [
        pytest.param(_undecided_job, "not_decided", id="job-never-gated"),
        pytest.param(_other_users_job, "job_mismatch", id="another-users-job"),
        pytest.param(_changed_parameter, "proposal_mismatch", id="changed-parameter"),
    ],
)
def test_compensate_input_the_job_record_does_not_back_undoes_nothing(
    stack: Stack, forge: Any, code: str
) -> None:
    """A forged compensate input is denied as a security event; no compensation runs."""
    _, event = forge(stack)
    event = {**event, "error": {"Error": "ConnectionError", "Cause": "{}"}}
    event.pop("step")
    with capture_events() as events, pytest.raises(StepDeniedError, match=code):
        compensate.handler(event, lambda_context())
    assert ledger(stack.ledger_path) == []
    assert security_denials(events) == [("compensate", "deny", [code])]


@pytest.mark.parametrize(
    ("outcome", "asked", "code"),
    [
        pytest.param("allow", REFUND, "not_decided", id="job-the-gate-allowed"),
        pytest.param("approve", {**REFUND, "parameters": {**REFUND["parameters"], "amount": 5000}},
                     "proposal_mismatch", id="changed-amount"),
    ],
)  # fmt: skip
def test_approval_input_the_job_record_does_not_back_asks_no_one(
    stack: Stack, outcome: GateOutcome, asked: dict[str, Any], code: str
) -> None:
    """Only the proposal the gate sent to approval is put before an approver."""
    job_id = decided_job(stack, REFUND, outcome)
    with capture_events() as events, pytest.raises(StepDeniedError, match=code):
        approval.handler(approval_event(job_id, asked), lambda_context())
    assert stack.approval_notices() == []
    assert security_denials(events) == [("approval_requested", "deny", [code])]
    assert status_of(stack, job_id) == ("accepted", "accepted")


MALLORY = {**ALICE, "userId": "mallory"}


def _respond_state(job_id: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jobId": job_id, "context": context or ALICE, "message": "m", "results": {},
            "output": {"text": "Your refund of 5000 EUR is done.", "outcome": "passed"}}  # fmt: skip


@pytest.mark.parametrize(
    ("decision", "outcome", "context", "code"),
    [
        pytest.param("allow", "complete", MALLORY, "job_mismatch", id="another-users-job"),
        pytest.param("allow", "complete", {**ALICE, "tenantId": "globex"}, "job_mismatch",
                     id="another-tenants-job"),
        pytest.param("deny", "complete", None, "outcome_mismatch", id="denied-job-completed"),
        pytest.param("shadow", "complete", None, "outcome_mismatch", id="shadowed-job-completed"),
        pytest.param("allow", "shadow", None, "outcome_mismatch", id="allowed-job-shadowed"),
        pytest.param("approve", "complete", None, "not_approved", id="job-awaiting-approval-completed"),
    ],
)  # fmt: skip
def test_respond_state_the_job_record_does_not_back_writes_nothing(
    stack: Stack, decision: GateOutcome, outcome: str, context: dict[str, Any] | None, code: str
) -> None:
    """respond writes only the job named, for its own user and tenant, with an ending its decision allows."""
    job_id = decided_job(stack, outcome=decision)
    before = stack.env.jobs.load("acme", job_id)
    with capture_events() as events, pytest.raises(StepDeniedError, match=code):
        respond.handler({"outcome": outcome, "state": _respond_state(job_id, context)}, lambda_context())
    assert stack.env.jobs.load("acme", job_id) == before
    assert security_denials(events) == [("complete", "deny", [code])]
