"""A message through the real state machine (moto executes the ASL), every task a real handler."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.handlers import (
    api,
    approval,
    compensate,
    execute,
    gate,
    guardrail_output,
    reason,
    respond,
)
from governed_assistant.handlers.exceptions import StepDeniedError
from governed_assistant.infra.asl import build_definition, render_definition
from governed_assistant.local.lambda_endpoint import serve_lambda
from governed_assistant.runtime.approvals import send_decision
from governed_assistant.runtime.flags import KILL_SWITCH, build_flags_document, write_flags_file
from governed_assistant.testing import capture_events, lambda_context
from handler_harness import ACCOUNT, REGION, Stack, api_event, body_of, ledger

FUNCTIONS = {"reason": reason, "gate": gate, "approval": approval, "execute": execute,
             "compensate": compensate, "guardrail_output": guardrail_output, "respond": respond}  # fmt: skip
PLACEHOLDERS = {"ReasonFunctionArn": "reason", "GateFunctionArn": "gate", "ApprovalFunctionArn": "approval",
                "ExecuteFunctionArn": "execute", "CompensateFunctionArn": "compensate",
                "GuardrailOutputFunctionArn": "guardrail_output",
                "RespondFunctionArn": "respond"}  # fmt: skip


@pytest.fixture
def machine(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    handlers = {name: module.handler for name, module in FUNCTIONS.items()}
    with serve_lambda(handlers) as (_, url):
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", url)
        client = boto3.client("stepfunctions", region_name=REGION)
        arns = {
            key: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}" for key, name in PLACEHOLDERS.items()
        }
        created = client.create_state_machine(
            name="jobs",
            definition=render_definition(build_definition(stack.spec, approval_timeout_seconds=60), arns),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/states",
        )
        yield client, created["stateMachineArn"]


def accept(stack: Stack, message: str) -> dict[str, Any]:
    stack.bedrock.screen_pass()
    response = api.handler(
        api_event("POST", "/messages", body={"message": message}, route_key="POST /messages"),
        lambda_context(),
    )
    assert response["statusCode"] == 202
    (accepted,) = stack.accepted_events()
    detail: dict[str, Any] = accepted["detail"]
    return detail


def wait(client: Any, execution: str, until: tuple[str, ...] = ("SUCCEEDED", "FAILED")) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = str(client.describe_execution(executionArn=execution)["status"])
        if status in until:
            return status
        time.sleep(0.05)
    raise AssertionError("execution still running after 60 s")


def job(stack: Stack, job_id: str) -> dict[str, Any]:
    route = api_event("GET", f"/jobs/{job_id}", route_key="GET /jobs/{id}", path_id=job_id)
    return dict(body_of(api.handler(route, lambda_context())))


def test_allowed_action_runs_once_and_completes_with_a_full_decision_chain(
    stack: Stack, machine: tuple[Any, str]
) -> None:
    """An allowed proposal runs its action and completes; every stage left one decision event."""
    client, arn = machine
    with capture_events() as events:
        detail = accept(stack, "Please mark ticket acme-1 solved")
        stack.bedrock.propose(
            "update_ticket_status",
            {"resourceId": "acme-1", "tenantId": "acme", "parameters": {"status": "solved"}},
        )
        stack.bedrock.screen_pass()
        execution = client.start_execution(stateMachineArn=arn, input=json.dumps(detail))["executionArn"]
        assert wait(client, execution) == "SUCCEEDED"
    record = job(stack, detail["jobId"])
    assert (record["status"], record["result"]["text"]) == (
        "complete",
        "update_ticket_status execute done on acme-1",
    )
    assert [line["function"] for line in ledger(stack.ledger_path)] == ["execute"]
    assert [e.stage for e in events] == [
        "guardrail_input",
        "reason",
        "gate",
        "execute",
        "guardrail_output",
        "complete",
    ]
    assert {e.job_id for e in events} == {detail["jobId"]}
    stream = api.handler(
        api_event(
            "GET",
            f"/jobs/{detail['jobId']}/events",
            route_key="GET /jobs/{id}/events",
            path_id=detail["jobId"],
        ),
        lambda_context(),
    )["body"]
    assert '"stage":"execute:update_ticket_status"' in stream and '"status":"complete"' in stream


def test_malformed_tool_use_is_denied_at_the_gate_and_never_executed(
    stack: Stack, machine: tuple[Any, str]
) -> None:
    """A tool use whose resourceId hides a NUL ends at the gate as a denial; no action runs."""
    client, arn = machine
    with capture_events() as events:
        detail = accept(stack, "Please mark ticket acme-1 solved")
        stack.bedrock.propose(
            "update_ticket_status",
            {"resourceId": "acme-1\x00", "tenantId": "acme", "parameters": {"status": "solved"}},
        )
        stack.bedrock.screen_pass()  # the denial's result: what the model wrote, screened before it is kept
        execution = client.start_execution(stateMachineArn=arn, input=json.dumps(detail))["executionArn"]
        status = wait(client, execution)
    assert ledger(stack.ledger_path) == [], "the executor ran a malformed proposal"
    assert status == "SUCCEEDED"
    record = job(stack, detail["jobId"])
    assert record["status"] == "rejected"
    assert record["result"]["decision"]["reasonCodes"] == ["malformed_proposal"]
    assert record["result"]["proposal"]["malformed"] is True and "[withheld" not in json.dumps(
        record["result"]
    )
    stack.bedrock.stubber.assert_no_pending_responses()
    assert [(e.stage, e.outcome) for e in events][1:3] == [("reason", "malformed_proposal"), ("gate", "deny")]
    assert "execute" not in {e.stage for e in events}


def test_approved_action_waits_for_an_approver_then_runs(stack: Stack, machine: tuple[Any, str]) -> None:
    """A high-risk proposal waits; another approver's POST /approvals resumes it and the job completes."""
    client, arn = machine
    detail = accept(stack, "Refund invoice acme-7")
    stack.bedrock.propose(
        "issue_refund",
        {
            "resourceId": "acme-7",
            "tenantId": "acme",
            "parameters": {"amount": 20, "currency": "EUR", "reason": "broken item"},
        },
    )
    stack.bedrock.screen_pass()  # the approval's proposal and reasons, before an approver reads them
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps(detail))["executionArn"]
    listing = api_event("GET", "/approvals", user="sam", roles=("supervisor",), route_key="GET /approvals")
    deadline = time.monotonic() + 30
    while not (pending := body_of(api.handler(listing, lambda_context()))["approvals"]):
        assert time.monotonic() < deadline, "no approval was requested"
        time.sleep(0.05)
    assert job(stack, detail["jobId"])["status"] == "awaiting_approval"
    assert ledger(stack.ledger_path) == []
    stack.bedrock.screen_pass()
    approval_id = pending[0]["approvalId"]
    decided = api.handler(
        api_event("POST", f"/approvals/{approval_id}", route_key="POST /approvals/{id}", path_id=approval_id,
                  user="sam", roles=("supervisor",), body={"decision": "approve"}),
        lambda_context(),
    )  # fmt: skip
    assert decided["statusCode"] == 200
    assert wait(client, execution) == "SUCCEEDED"
    assert job(stack, detail["jobId"])["status"] == "complete"
    assert [line["action"] for line in ledger(stack.ledger_path)] == ["issue_refund"]
    (approval_listed,) = pending
    assert approval_listed["details"]["proposal"]["parameters"]["reason"] == "broken item"
    stack.bedrock.stubber.assert_no_pending_responses()


def test_kill_switch_on_while_awaiting_approval_stops_the_job(stack: Stack, machine: tuple[Any, str]) -> None:
    """Mid-approval: a forged execute is denied, the approval is refused, and a late grant runs nothing."""
    client, arn = machine
    detail = accept(stack, "Refund invoice acme-7")
    refund = {"resourceId": "acme-7", "tenantId": "acme",
              "parameters": {"amount": 20, "currency": "EUR", "reason": "broken item"}}  # fmt: skip
    stack.bedrock.propose("issue_refund", refund)
    stack.bedrock.screen_pass()  # the approval's proposal and reasons
    stack.bedrock.screen_pass()  # the failed job's result, which carries the proposal
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps(detail))["executionArn"]
    listing = api_event("GET", "/approvals", user="sam", roles=("supervisor",), route_key="GET /approvals")
    deadline = time.monotonic() + 30
    while not (pending := body_of(api.handler(listing, lambda_context()))["approvals"]):
        assert time.monotonic() < deadline, "no approval was requested"
        time.sleep(0.05)
    # Someone who can invoke the execute function sends the proposal with a changed amount.
    forged = {**refund, "actionType": "issue_refund", "parameters": {**refund["parameters"], "amount": 5000}}
    with pytest.raises(StepDeniedError, match="proposal_mismatch"):
        execute.handler({"jobId": detail["jobId"], "context": detail["context"], "proposal": forged,
                         "action": "issue_refund", "step": None, "results": {}},
                        lambda_context())  # fmt: skip
    switch_kill_switch(stack, True)
    approval_id = pending[0]["approvalId"]
    refused = api.handler(
        api_event("POST", f"/approvals/{approval_id}", route_key="POST /approvals/{id}", path_id=approval_id,
                  user="sam", roles=("supervisor",), body={"decision": "approve"}),
        lambda_context(),
    )  # fmt: skip
    assert (refused["statusCode"], body_of(refused)["error"]) == (409, "kill_switch")
    assert [a["approvalId"] for a in body_of(api.handler(listing, lambda_context()))["approvals"]] == [
        approval_id
    ]
    # A grant that raced the switch (recorded, and the task resumed) still runs nothing.
    approver = TenantContext(tenant_id="acme", user_id="sam", roles=("supervisor",), request_id="r")
    with capture_events() as events:
        decision = stack.env.approvals.decide(approver, approval_id, True, approver_roles=["supervisor"])
        send_decision(client, decision)
        assert wait(client, execution) == "FAILED"
    record = job(stack, detail["jobId"])
    assert record["status"] == "failed" and "kill_switch" in record["error"]
    # The action never ran; the reversible refund's compensation is told nothing completed.
    ran = [(line["function"], line["completed"]) for line in ledger(stack.ledger_path)]
    assert ran == [("compensate", [])]
    assert [(e.stage, e.outcome) for e in events if e.stage == "execute"] == [("execute", "deny")]
    assert record["result"]["proposal"]["resourceId"] == "acme-7"
    stack.bedrock.stubber.assert_no_pending_responses()


def switch_kill_switch(stack: Stack, on: bool) -> None:
    document = build_flags_document(stack.spec, live_tenants=["acme", "globex"])
    document[KILL_SWITCH] = {"default": on}
    write_flags_file(os.environ["GOVERNED_FLAGS_FILE"], document)
