"""The approval step (``lambda:invoke.waitForTaskToken``): ask a human, then wait.

Input ``{jobId, context, proposal, decision, taskToken}``. Only a proposal the job recorded as
decided ``approve`` (same digest, the job's own tenant and user) is put before an approver;
anything else is denied as a security event. The job records the approval's id and moves to
``awaiting_approval`` (its user is the requester the approvers may not be), the approval is
stored with its task token - which stays server-side - and the approvers are told on the SNS
topic, without the token. The state machine waits until the
API's ``POST /approvals/{id}`` resumes it, or its timeout denies it. Emits ``approval_requested``.
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
        env.jobs.record_approval(requester.tenant_id, job_id, approval_id)
        advance(env.jobs, requester.tenant_id, job_id, "awaiting_approval", "approval_requested")
        view = env.approvals.request(
            requester,
            job_id,
            _summary(proposal, decision),
            token,
            datetime.now(UTC) + timedelta(seconds=_timeout_seconds()),
            details={"proposal": proposal.model_dump(mode="json", by_alias=True), "decision": decision},
            approval_id=approval_id,
        )
        _notify(env, topic, view, proposal)
        stage.outcome = "requested"
        stage.details = {"approvalId": view.approval_id, "expiresAt": view.expires_at.isoformat()}
    return {"approvalId": view.approval_id, "status": view.status}


def _summary(proposal: ActionProposal, decision: Mapping[str, Any]) -> str:
    risk = decision.get("risk")
    reasons = [str(reason) for reason in decision.get("reasons") or []]
    text = f"{proposal.action_type} on {proposal.resource_id} (risk {risk})"
    if reasons:
        text += ": " + "; ".join(reasons)
    return text[:4000]


def _notify(env: Environment, topic: str, view: ApprovalView, proposal: ActionProposal) -> None:
    """Tell the approvers; the message names the approval, never its task token."""
    message = {
        "approvalId": view.approval_id,
        "jobId": view.job_id,
        "tenantId": view.tenant_id,
        "requestedBy": view.requested_by,
        "actionType": proposal.action_type,
        "resourceId": proposal.resource_id,
        "summary": view.summary,
        "expiresAt": view.expires_at.isoformat(),
    }
    env.client("sns").publish(
        TopicArn=topic,
        Subject=f"Approval needed: {proposal.action_type}"[:_MAX_SUBJECT_CHARS],
        Message=json.dumps(message, separators=(",", ":")),
        # Subscriptions may filter by tenant, so each tenant's approvers hear only of their own.
        MessageAttributes={"tenantId": {"DataType": "String", "StringValue": view.tenant_id}},
    )


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
