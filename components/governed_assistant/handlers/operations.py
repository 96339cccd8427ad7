"""What each route of the API takes, answers and refuses: the OpenAPI document's source.

``operations(spec)`` describes every route of ``governed_assistant.wire.ROUTES``, the console's
(``CONSOLE_ROUTES``) and the local API's own (``LOCAL_ROUTES``): who may call it, its request body,
each successful answer's model (or content type), and the error codes it may answer with (their
statuses and meanings are ``handlers.http.ERROR_CODES``). ``governed_assistant.handlers.openapi``
turns them into the document; the contract tests drive the handlers with every route and hold each
answer to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal

from pydantic import BaseModel

from governed_assistant.console import HTML_TYPE, SCRIPT_TYPE
from governed_assistant.contracts import Job
from governed_assistant.handlers.responses import (
    ApprovalList,
    DemoTokens,
    Health,
    MessageAccepted,
    MessageRejected,
    ProgressEvent,
)
from governed_assistant.handlers.validation import DecisionBody, DemoTokensBody, MessageBody
from governed_assistant.runtime.approvals.models import ApprovalView
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ROUTE_APPROVALS,
    ROUTE_CONSOLE,
    ROUTE_CONSOLE_SCRIPT,
    ROUTE_DECISION,
    ROUTE_DEMO_TOKENS,
    ROUTE_HEALTH,
    ROUTE_JOB,
    ROUTE_JOB_EVENTS,
    ROUTE_MESSAGES,
    ROUTE_OPENAPI,
)

# Who may call a route: nobody needs a token, any verified user, or an approver of the tenant.
Caller = Literal["anyone", "user", "approver"]

# The codes every route behind the authorizer may answer with (each counts against the tenant's rate
# limit), and those of a JSON body, of an id.
CALLER_CODES: Final = ("unauthorized", "rate_limited", "internal_error")
_BODY_CODES: Final = (
    "missing_body", "invalid_body", "invalid_json", "body_too_deep", "unknown_field", "missing_field",
    "invalid_field", "payload_too_large", "unsupported_media_type",
)  # fmt: skip
_ID_CODES: Final = ("route_not_found",)
_DECISION_CODES: Final = (
    *_BODY_CODES, *_ID_CODES, "invalid_approval", "not_approver", "separation_of_duties",
    "approval_not_found", "approval_expired", "already_decided", "approval_closed", "kill_switch",
    "resume_failed", "archive_failed",
)  # fmt: skip
# API Gateway's own answers (GatewayError) on every route behind it, and what each means.
GATEWAY_ANSWERS: Final[Mapping[int, str]] = {
    HTTPStatus.UNAUTHORIZED: "The JWT authorizer refused the token (none, expired, not its issuer's).",
    HTTPStatus.TOO_MANY_REQUESTS: (
        "API Gateway throttled the request (the stack's burst and rate limits), before the tenant's own "
        "limit was counted."
    ),
    HTTPStatus.INTERNAL_SERVER_ERROR: "The API function failed without answering.",
    HTTPStatus.SERVICE_UNAVAILABLE: "The local API is still starting, or the function cannot be reached.",
}
_STARTING: Final[Mapping[int, str]] = {
    HTTPStatus.SERVICE_UNAVAILABLE: "The local API is still starting; retry in a moment.",
}
# What API Gateway answers itself on a route without the authorizer (the console's).
_OPEN_GATEWAY: Final[Mapping[int, str]] = {
    status: GATEWAY_ANSWERS[status]
    for status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.INTERNAL_SERVER_ERROR)
}
_DEMO_TOKENS_ANSWERS: Final[Mapping[int, str]] = {
    HTTPStatus.BAD_REQUEST: 'The body is not {"key": "<the console key>"}.',
    HTTPStatus.FORBIDDEN: "The key is not this run's console key (the console URL make dev printed has it).",
    **_STARTING,
}
_CONSOLE_DESCRIPTION: Final = (
    "It holds no data and needs no token: every call the page makes carries the signed-in user's "
    "bearer token to the routes above, which decide what that user may see and do. Served with a "
    "Content-Security-Policy that lets the page run only its own script and connect only to this API."
)


@dataclass(frozen=True)
class Reply:
    """A successful answer: a JSON body, an event stream, a file of the console, or nothing."""

    description: str
    body: type[BaseModel] | None = None
    events: type[BaseModel] | None = None
    # A JSON object no model describes (this document itself).
    document: bool = False
    # The content type of a text body no model describes (the console's page and script).
    text: str | None = None


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
    # The error codes the API function may answer with (CALLER_CODES are added behind the authorizer).
    codes: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    headers: tuple[Mapping[str, Any], ...] = ()
    # What the gateway (or the local API in its place) answers itself on this route.
    gateway: Mapping[int, str] = field(default_factory=lambda: GATEWAY_ANSWERS)


def operations(spec: AssistantSpec) -> tuple[Operation, ...]:
    """Every route the API and the local stack serve, described for ``spec``."""
    admins = ", ".join(spec.admin_roles) or "none in this spec"
    approvers = ", ".join(spec.approver_roles)
    return (
        Operation(
            route=ROUTE_MESSAGES,
            operation_id="postMessage",
            tag="messages",
            summary="Ask the assistant",
            description=(
                "Records a job for the caller, screens the message with the input guardrail and hands "
                "the job to the execution layer, all before answering: 202 with the job's id. The model "
                "then answers or proposes an action; the gate decides whether it runs, waits for an "
                "approver, or is refused. Follow the job with GET /jobs/{id} or GET /jobs/{id}/events. "
                "A message the guardrail blocks ends its job at once: 200, status rejected, with the "
                "guardrail's message (the request was fine and fully handled)."
            ),
            caller="user",
            replies={
                HTTPStatus.ACCEPTED: Reply("The job is accepted and running.", MessageAccepted),
                HTTPStatus.OK: Reply(
                    "The input guardrail blocked the message; the job is rejected.", MessageRejected
                ),
            },
            codes=(*_BODY_CODES, "guardrail_unavailable", "dispatch_failed"),
            body=MessageBody,
        ),
        Operation(
            route=ROUTE_JOB,
            operation_id="getJob",
            tag="jobs",
            summary="Read a job",
            description=(
                "The job with its status, stage and, once it ended, its result or error. Readable by its "
                f"own user, and by an admin of its tenant (admin roles: {admins}); for anyone else it "
                "does not exist (404). When the gate decided a proposal and the job's outcome is not "
                "complete (denied, shadow, rejected, expired, failed), its result carries the decision: "
                "result.decision, with the outcome, risk, reasons and reason codes."
            ),
            caller="user",
            replies={HTTPStatus.OK: Reply("The job.", Job)},
            codes=("job_not_found", *_ID_CODES),
        ),
        Operation(
            route=ROUTE_JOB_EVENTS,
            operation_id="getJobEvents",
            tag="jobs",
            summary="Follow a job's progress",
            description=(
                "The job's history as server-sent events, one `progress` event per status or stage "
                "change, each with its id. While the job runs the stream ends with a `retry:` line: "
                "reconnect with Last-Event-ID to get only what is new (an EventSource does). The local "
                "stack keeps the stream open until the job ends. Readable by whoever may read the job."
            ),
            caller="user",
            replies={
                HTTPStatus.OK: Reply("The events after Last-Event-ID.", events=ProgressEvent),
                HTTPStatus.NO_CONTENT: Reply("The job has ended and the client has every event: stop."),
            },
            codes=("invalid_last_event_id", "job_not_found", *_ID_CODES),
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
            route=ROUTE_APPROVALS,
            operation_id="listApprovals",
            tag="approvals",
            summary="List the approvals the caller may decide",
            description=(
                "The tenant's pending approvals, oldest first, without the ones the caller asked for "
                f"(they may not decide their own). Only for an approver (approver roles: {approvers}). "
                "Each names its job, who asked, a summary, the proposal and the gate's decision, and "
                "its deadline; never the task token that resumes the job."
            ),
            caller="approver",
            replies={HTTPStatus.OK: Reply("The pending approvals.", ApprovalList)},
            codes=("not_approver",),
        ),
        Operation(
            route=ROUTE_DECISION,
            operation_id="decideApproval",
            tag="approvals",
            summary="Approve or reject a pending approval",
            description=(
                "Records the decision and resumes the job: approved, the action runs; rejected, the job "
                "ends rejected. Only an approver of the approval's tenant (approver roles: "
                f"{approvers}) who did not ask for the action may decide, once, before the deadline. "
                "While the tenant's kill switch is on, nothing can be approved."
            ),
            caller="approver",
            replies={HTTPStatus.OK: Reply("The decided approval.", ApprovalView)},
            codes=_DECISION_CODES,
            body=DecisionBody,
        ),
        Operation(
            route=ROUTE_CONSOLE,
            operation_id="console",
            tag="console",
            summary="The console",
            description=(
                "The page people in the loop use: chat with the assistant, follow a job's timeline "
                "live, and, as an approver, decide the tenant's pending approvals. " + _CONSOLE_DESCRIPTION
            ),
            caller="anyone",
            replies={HTTPStatus.OK: Reply("The console page.", text=HTML_TYPE)},
            codes=("internal_error",),
            gateway=_OPEN_GATEWAY,
        ),
        Operation(
            route=ROUTE_CONSOLE_SCRIPT,
            operation_id="consoleScript",
            tag="console",
            summary="The console's script",
            description="The script GET /console loads. " + _CONSOLE_DESCRIPTION,
            caller="anyone",
            replies={HTTPStatus.OK: Reply("The console's script.", text=SCRIPT_TYPE)},
            codes=("internal_error",),
            gateway=_OPEN_GATEWAY,
        ),
        Operation(
            route=ROUTE_HEALTH,
            operation_id="health",
            tag="local",
            summary="Is the local API up",
            description="Served by the local stack (make dev) only; the deployed API has no such route.",
            caller="anyone",
            replies={HTTPStatus.OK: Reply("The local API is up.", Health)},
            gateway={},
        ),
        Operation(
            route=ROUTE_OPENAPI,
            operation_id="openapi",
            tag="local",
            summary="This document",
            description=(
                "Served by the local stack (make dev) only, without a token: it describes, it grants "
                "nothing. The project ships the same document as openapi.json, without the local server."
            ),
            caller="anyone",
            replies={HTTPStatus.OK: Reply("The OpenAPI document.", document=True)},
            gateway=_STARTING,
        ),
        Operation(
            route=ROUTE_DEMO_TOKENS,
            operation_id="demoTokens",
            tag="local",
            summary="The demo identities' tokens, for the console's sign-in",
            description=(
                "Served by the local stack (make dev) only: given the run's console key (the fragment "
                "of the console URL make dev prints), the demo identities, each with a token of the "
                "local dev issuer, so the console can sign in as one. The deployed API has no such "
                "route: there the console takes a token of the identity provider."
            ),
            caller="anyone",
            replies={HTTPStatus.OK: Reply("The demo identities and their tokens.", DemoTokens)},
            body=DemoTokensBody,
            gateway=_DEMO_TOKENS_ANSWERS,
        ),
    )
