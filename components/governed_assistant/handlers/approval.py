"""The approval step (``lambda:invoke.waitForTaskToken``): ask a human, then wait.

Input ``{jobId, context, proposal, decision, taskToken}``. Only a proposal the job recorded as
decided ``approve`` (same digest, the job's own tenant and user) is put before an approver;
anything else is denied as a security event. The job records the approval's id and moves to
``awaiting_approval`` (its user is the requester the approvers may not be), the approval is
stored with its task token - which stays server-side - and the approvers are told on the SNS
topic, without the token. The state machine waits until the
API's ``POST /approvals/{id}`` resumes it, or its timeout denies it. Emits ``approval_requested``.

What the model wrote reaches an approver only through the output guardrail: the stored
approval's proposal, the gate's reasons and the summary built from them are screened first
(``governed_assistant.handlers.outbound``; the event's ``outbound`` says what was withheld). The
notification carries none of it: the approval's, job's and tenant's ids, who asked, the action's
name (one of the spec's: the gate approves no other), the deadline and a link to the console.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from governed_assistant.contracts import ActionProposal
from governed_assistant.handlers.authority import job_context, require_decision
from governed_assistant.handlers.environment import Environment, required_env
from governed_assistant.handlers.exceptions import HandlerConfigError, StepInputError
from governed_assistant.handlers.logs import JOB_REQUEST_ID, LOGGER
from governed_assistant.handlers.outbound import Outbound, screen_outbound
from governed_assistant.handlers.steps import (
    advance,
    context_of,
    job_id_of,
    mapping_of,
    proposal_of,
    run_step,
)
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.approvals import ApprovalView
from governed_assistant.wire import (
    DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    ENV_APPROVAL_TIMEOUT_SECONDS,
    ENV_APPROVAL_TOPIC_ARN,
    ENV_CONSOLE_URL,
    NOTICE_TENANT_ATTRIBUTE,
    ROUTE_CONSOLE,
)

STEP = "approval"
# SNS refuses subjects past 100 characters.
_MAX_SUBJECT_CHARS = 100


@LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _approval)
    return result


def _approval(env: Environment, event: Mapping[str, Any], _: Any) -> dict[str, Any]:
    job_id = job_id_of(STEP, event)
    claimed = context_of(STEP, event)
    proposal = proposal_of(STEP, event)
    decision = mapping_of(STEP, event, "decision")
    token = event.get("taskToken")
    if not isinstance(token, str) or not token:
        raise StepInputError(STEP, "taskToken", "missing; invoke this step with waitForTaskToken")
    topic = required_env(ENV_APPROVAL_TOPIC_ARN, "the approval topic's ARN")
    # Only the proposal the gate sent to approval may be put before an approver, for the job's user.
    recorded, requester = job_context(env, STEP, "approval_requested", job_id, claimed)
    raw_proposal = mapping_of(STEP, event, "proposal")
    require_decision(env, STEP, "approval_requested", recorded, requester, raw_proposal, approved=False)
    approval_id = uuid.uuid4().hex
    with env.recorder.stage(job_id, requester, "approval_requested") as stage:
        outbound = screen_outbound(
            env, proposal.model_dump(mode="json", by_alias=True), decision.get("reasons") or ()
        )
        stage.details = {"outbound": outbound.screened.details()}
        env.jobs.record_approval(requester.tenant_id, job_id, approval_id)
        advance(env.jobs, requester.tenant_id, job_id, "awaiting_approval", "approval_requested")
        view = env.approvals.request(
            requester,
            job_id,
            _summary(proposal.action_type, outbound, decision),
            token,
            datetime.now(UTC) + timedelta(seconds=_timeout_seconds()),
            details={"proposal": outbound.proposal, "decision": {**decision, "reasons": outbound.reasons}},
            approval_id=approval_id,
        )
        _notify(env, topic, view, proposal)
        stage.outcome = "requested"
        stage.details |= {"approvalId": view.approval_id, "expiresAt": view.expires_at.isoformat()}
    return {"approvalId": view.approval_id, "status": view.status}


def _summary(action_type: str, outbound: Outbound, decision: Mapping[str, Any]) -> str:
    """``<action> on <resource> (risk r): <reasons>``, from the screened resource id and reasons."""
    resource = outbound.proposal.get("resourceId")
    text = f"{action_type} on {resource} (risk {decision.get('risk')})"
    if outbound.reasons:
        text += ": " + "; ".join(outbound.reasons)
    return text[:4000]


def _notify(env: Environment, topic: str, view: ApprovalView, proposal: ActionProposal) -> None:
    """Tell the approvers: ids, the action's name and a link; never the task token, and nothing the
    model wrote (the approver reads the screened proposal in the console, through the API)."""
    message = {
        "approvalId": view.approval_id,
        "jobId": view.job_id,
        "tenantId": view.tenant_id,
        "requestedBy": view.requested_by,
        "actionType": proposal.action_type,
        "expiresAt": view.expires_at.isoformat(),
        "link": console_link(),
    }
    env.client("sns").publish(
        TopicArn=topic,
        Subject=f"Approval needed: {proposal.action_type}"[:_MAX_SUBJECT_CHARS],
        Message=json.dumps(message, separators=(",", ":")),
        # Each approver's subscription filters on it, so each tenant's approvers hear only of their own.
        MessageAttributes={NOTICE_TENANT_ATTRIBUTE: {"DataType": "String", "StringValue": view.tenant_id}},
    )


def console_link() -> str:
    """Where an approver decides: $GOVERNED_CONSOLE_URL, else the console's path on the stack's API.

    The deployed stack cannot give this step the API's URL (the API is built after the execution
    layer and needs its tables), so in AWS the link is the path to append to the ``api_url``
    output; the local stack sets the whole URL.
    """
    return os.environ.get(ENV_CONSOLE_URL) or ROUTE_CONSOLE.split(" ", 1)[1]


def _timeout_seconds() -> int:
    raw = os.environ.get(ENV_APPROVAL_TIMEOUT_SECONDS)
    try:
        seconds = int(raw) if raw else DEFAULT_APPROVAL_TIMEOUT_SECONDS
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise HandlerConfigError(
            ENV_APPROVAL_TIMEOUT_SECONDS, f"Not a positive number of seconds, value={raw!r}", "use e.g. 86400"
        )
    return seconds
