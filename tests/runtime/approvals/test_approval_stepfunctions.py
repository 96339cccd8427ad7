"""send_decision resumes the waiting task: success with the approver, or failure ApprovalRejected."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from approval_fakes import ALICE, APPROVER_ROLES, BOB, TOKEN, FakeClock
from governed_assistant.runtime.approvals import InMemoryApprovalStore, send_decision
from governed_assistant.wire import APPROVAL_REJECTED_ERROR


class RecordingStepFunctions:
    """Records the SendTask* calls a boto3 stepfunctions client would make."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def send_task_success(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("send_task_success", request))
        return {}

    def send_task_failure(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("send_task_failure", request))
        return {}


@pytest.mark.parametrize(
    ("approve", "operation"),
    [
        pytest.param(True, "send_task_success", id="approve-sends-success"),
        pytest.param(False, "send_task_failure", id="reject-sends-failure"),
    ],
)
def test_send_decision_decision_resumes_task_with_token(approve: bool, operation: str) -> None:
    """The decision's token resumes the task; the approver and reason travel with it."""
    clock = FakeClock()
    store = InMemoryApprovalStore(clock=clock)
    view = store.request(ALICE, "job-1", "refund", TOKEN, clock.now + timedelta(minutes=5))
    decision = store.decide(BOB, view.approval_id, approve, "checked", approver_roles=APPROVER_ROLES)
    client = RecordingStepFunctions()
    send_decision(client, decision)
    [(called, request)] = client.calls
    assert (called, request["taskToken"]) == (operation, TOKEN)
    payload = json.loads(request["output"] if approve else request["cause"])
    assert payload == {
        "approved": approve,
        "approver": "bob",
        "approvalId": view.approval_id,
        "jobId": "job-1",
        "tenantId": "acme",
        "reason": "checked",
        "decidedAt": clock.now.isoformat(),
    }
    if not approve:
        assert request["error"] == APPROVAL_REJECTED_ERROR == "ApprovalRejected"
