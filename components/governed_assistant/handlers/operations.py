"""What each route of the API takes, answers and refuses: the OpenAPI document's source.

``operations(spec)`` describes every route of ``governed_assistant.wire.ROUTES`` and the local API's
own (``LOCAL_ROUTES``): who may call it, its request body, each successful answer's model, and the
error codes it may answer with (their statuses and meanings are ``handlers.http.ERROR_CODES``).
``governed_assistant.handlers.openapi`` turns them into the document; the contract tests drive the
handlers with every route and hold each answer to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final, Literal

from pydantic import BaseModel

from governed_assistant.contracts import Job
from governed_assistant.handlers.responses import (
    ApprovalList,
    Health,
    MessageAccepted,
    MessageRejected,
    ProgressEvent,
)
from governed_assistant.handlers.validation import DecisionBody, MessageBody
from governed_assistant.runtime.approvals.models import ApprovalView
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ROUTE_APPROVALS,
    ROUTE_DECISION,
    ROUTE_HEALTH,
    ROUTE_JOB,
    ROUTE_JOB_EVENTS,
    ROUTE_MESSAGES,
    ROUTE_OPENAPI,
)

# Who may call a route: nobody needs a token, any verified user, or an approver of the tenant.
Caller = Literal["anyone", "user", "approver"]

# The codes every route behind the authorizer may answer with, and those of a JSON body, of an id.
CALLER_CODES: Final = ("unauthorized", "internal_error")
_BODY_CODES: Final = (
    "missing_body", "invalid_body", "invalid_json", "body_too_deep", "unknown_field", "missing_field",
    "invalid_field", "payload_too_large", "unsupported_media_type",
)  # fmt: skip
_ID_CODES: Final = ("route_not_found",)
# API Gateway's own answers (GatewayError) on every route behind it, and what each means.
GATEWAY_ANSWERS: Final[Mapping[int, str]] = {
    HTTPStatus.UNAUTHORIZED: "The JWT authorizer refused the token (none, expired, not its issuer's).",
    HTTPStatus.TOO_MANY_REQUESTS: "API Gateway throttled the request (the stack's burst and rate limits).",
    HTTPStatus.INTERNAL_SERVER_ERROR: "The API function failed without answering.",
    HTTPStatus.SERVICE_UNAVAILABLE: "The local API is still starting, or the function cannot be reached.",
}
# The local stack's own answers on its two routes (no authorizer, no function).
LOCAL_ANSWERS: Final[Mapping[int, str]] = {
    HTTPStatus.SERVICE_UNAVAILABLE: "The local API is still starting; retry in a moment.",
}


@dataclass(frozen=True)
class Reply:
    """A successful answer: a JSON body, an event stream, or nothing."""

    description: str
    body: type[BaseModel] | None = None
    events: type[BaseModel] | None = None
    # A JSON object no model describes (this document itself).
    document: bool = False


@dataclass(frozen=True)
class Operation:
    """One route: who may call it, what it takes, and everything it may answer."""

    route: str
    operation_id: str
    tag: str
    summary: str
    description: str
    caller: Caller
    replies: Mapping[int, Reply]
    codes: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    headers: tuple[Mapping[str, Any], ...] = ()


def operations(spec: AssistantSpec) -> tuple[Operation, ...]:
    """Every route the API and the local stack serve, described for ``spec``."""
    admins = ", ".join(spec.admin_roles) or "none in this spec"
    approvers = ", ".join(spec.approver_roles)
    return (
        Operation(
            ROUTE_MESSAGES,
            "postMessage",
            "messages",
            "Ask the assistant",
            "Records a job for the caller, screens the message with the input guardrail and hands the "
            "job to the execution layer, all before answering: 202 with the job's id. The model then "
            "answers or proposes an action; the gate decides whether it runs, waits for an approver, "
            "or is refused. Follow the job with GET /jobs/{id} or GET /jobs/{id}/events. A message "
            "the guardrail blocks ends its job at once: 200, status rejected, with the guardrail's "
            "message (the request was fine and fully handled).",
            "user",
            {
                HTTPStatus.ACCEPTED: Reply("The job is accepted and running.", MessageAccepted),
                HTTPStatus.OK: Reply(
                    "The input guardrail blocked the message; the job is rejected.", MessageRejected
                ),
            },
            (*_BODY_CODES, "guardrail_unavailable", "dispatch_failed"),
            body=MessageBody,
        ),
        Operation(
            ROUTE_JOB,
            "getJob",
            "jobs",
            "Read a job",
            "The job with its status, stage and, once it ended, its result or error. Readable by its "
            f"own user, and by an admin of its tenant (admin roles: {admins}); for anyone else it "
            "does not exist (404). A result the gate decided carries the decision "
            "(result.decision: outcome, risk, reasons, reason codes).",
            "user",
            {HTTPStatus.OK: Reply("The job.", Job)},
            ("job_not_found", *_ID_CODES),
        ),
        Operation(
            ROUTE_JOB_EVENTS,
            "getJobEvents",
            "jobs",
            "Follow a job's progress",
            "The job's history as server-sent events, one `progress` event per status or stage "
            "change, each with its id. While the job runs the stream ends with a `retry:` line: "
            "reconnect with Last-Event-ID to get only what is new (an EventSource does). The local "
            "stack keeps the stream open until the job ends. Readable by whoever may read the job.",
            "user",
            {
                HTTPStatus.OK: Reply("The events after Last-Event-ID.", events=ProgressEvent),
                HTTPStatus.NO_CONTENT: Reply("The job has ended and the client has every event: stop."),
            },
            ("invalid_last_event_id", "job_not_found", *_ID_CODES),
            headers=(
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "description": "The id of the last event received: only later ones are sent.",
                    "schema": {"type": "string", "pattern": r"^\s*[0-9]+\s*$"},
                },
            ),
        ),
        Operation(
            ROUTE_APPROVALS,
            "listApprovals",
            "approvals",
            "List the approvals the caller may decide",
            "The tenant's pending approvals, oldest first, without the ones the caller asked for "
            f"(they may not decide their own). Only for an approver (approver roles: {approvers}). "
            "Each names its job, who asked, a summary, the proposal and the gate's decision, and its "
            "deadline; never the task token that resumes the job.",
            "approver",
            {HTTPStatus.OK: Reply("The pending approvals.", ApprovalList)},
            ("not_approver",),
        ),
        Operation(
            ROUTE_DECISION,
            "decideApproval",
            "approvals",
            "Approve or reject a pending approval",
            "Records the decision and resumes the job: approved, the action runs; rejected, the job "
            "ends rejected with the comment. Only an approver of the approval's tenant (approver "
            f"roles: {approvers}) who did not ask for the action may decide, once, before the "
            "deadline. While the tenant's kill switch is on, nothing can be approved.",
            "approver",
            {HTTPStatus.OK: Reply("The decided approval.", ApprovalView)},
            (
                *_BODY_CODES,
                *_ID_CODES,
                "invalid_approval",
                "not_approver",
                "separation_of_duties",
                "approval_not_found",
                "approval_expired",
                "already_decided",
                "approval_closed",
                "kill_switch",
                "resume_failed",
            ),
            body=DecisionBody,
        ),
        Operation(
            ROUTE_HEALTH,
            "health",
            "local",
            "Is the local API up",
            "Served by the local stack (make dev) only; the deployed API has no such route.",
            "anyone",
            {HTTPStatus.OK: Reply("The local API is up.", Health)},
        ),
        Operation(
            ROUTE_OPENAPI,
            "openapi",
            "local",
            "This document",
            "Served by the local stack (make dev) only, without a token: it describes, it grants "
            "nothing. The project ships the same document as openapi.json.",
            "anyone",
            {HTTPStatus.OK: Reply("The OpenAPI document.", document=True)},
        ),
    )
