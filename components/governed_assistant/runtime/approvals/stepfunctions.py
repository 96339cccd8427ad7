"""Resume the job's Step Functions task with a recorded decision (``waitForTaskToken``)."""

from __future__ import annotations

import json
from typing import Any

from governed_assistant.runtime.approvals.models import ApprovalDecision
from governed_assistant.wire import APPROVAL_REJECTED_ERROR

# Step Functions' limit on a SendTaskFailure cause.
_MAX_CAUSE_CHARS = 32_768


def send_decision(client: Any, decision: ApprovalDecision) -> None:
    """Approve with ``SendTaskSuccess`` (output ``{"approved": true, "approver": ...}``), or
    reject with ``SendTaskFailure`` (error ``ApprovalRejected``, the same JSON as its cause).

    ``client`` is a boto3 ``stepfunctions`` client. An expired approval never reaches here: the
    state machine's own timeout already denied it.
    """
    payload = json.dumps(decision.output(), separators=(",", ":"))
    if decision.approved:
        client.send_task_success(taskToken=decision.task_token, output=payload)
    else:
        client.send_task_failure(
            taskToken=decision.task_token, error=APPROVAL_REJECTED_ERROR, cause=payload[:_MAX_CAUSE_CHARS]
        )
