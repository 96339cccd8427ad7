"""The conversation API (HTTP API, payload format 2.0): messages in, jobs and approvals out.

Who is asking comes only from the claims API Gateway's JWT authorizer verified
(``context_from_api_gateway``); nothing in the body, query or headers names a tenant.

- ``POST /messages`` ``{"message"}``: records a job, screens the message with the input
  guardrail, and puts "job accepted" on the bus: ``202 {"jobId", "status": "accepted"}``. A
  blocked message ends the job at once: ``200 {"jobId", "status": "rejected", "message"}`` with
  the guardrail's message (the request was fine and fully handled, so not a 4xx). An anonymized
  message travels on masked. If the job cannot be handed over it is marked failed: ``503``.
- ``GET /jobs/{id}``: the job, for its user or an admin of its tenant; anything else is 404.
- ``GET /jobs/{id}/events``: the job's progress as ``text/event-stream`` (see ``sse``).
- ``GET /approvals``: the tenant's pending approvals an approver may decide (no task tokens).
- ``POST /approvals/{id}`` ``{"decision": "approve"|"reject", "comment"?}``: records the decision
  and resumes the job.
- ``GET /console``, ``GET /console.js``: the console's page and script (``governed_assistant.console``),
  on routes without the authorizer: they hold no data, and every call the page makes carries the
  user's token to the routes above.

Every request behind the authorizer is first counted against its tenant's rate limit
(``handlers.rate_limit``): over it, ``429 rate_limited`` with ``Retry-After``, before anything else
runs. Every refusal is ``{"error", "message"}`` with a 4xx; an unexpected failure is a 500 with the
request id, logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

from governed_assistant.contracts import TenantContext
from governed_assistant.handlers.constants import SSE_RETRY_MS
from governed_assistant.handlers.environment import Environment, current
from governed_assistant.handlers.exceptions import ApiError, DispatchError
from governed_assistant.handlers.jobstart import dispatch_job
from governed_assistant.handlers.logs import API_REQUEST_ID, LOGGER
from governed_assistant.handlers.rate_limit import limit_requests
from governed_assistant.handlers.responses import (
    ApprovalList,
    MessageAccepted,
    MessageRejected,
    empty_response,
    error_response,
    event_stream_response,
    header,
    json_response,
    text_response,
)
from governed_assistant.handlers.routing import allowed_methods, match_route
from governed_assistant.handlers.sse import format_sse, parse_last_event_id
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.handlers.validation import DecisionBody, MessageBody, parse_body
from governed_assistant.runtime.approvals import (
    ApprovalAlreadyDecidedError,
    ApprovalError,
    ApprovalExistsError,
    ApprovalExpiredError,
    ApprovalNotFoundError,
    ApprovalView,
    NotApproverError,
    SeparationOfDutiesError,
    send_decision,
)
from governed_assistant.runtime.audit import AuditArchiveError
from governed_assistant.runtime.guardrails import GuardrailError
from governed_assistant.runtime.identity import AuthenticationError, context_from_api_gateway
from governed_assistant.runtime.jobs import TERMINAL_STATUSES, JobNotFoundError
from governed_assistant.wire import (
    CONSOLE_ROUTES,
    ROUTE_APPROVALS,
    ROUTE_DECISION,
    ROUTE_JOB,
    ROUTE_JOB_EVENTS,
    ROUTE_MESSAGES,
    ROUTES,
)

Response = dict[str, Any]
Route = Callable[[Environment, TenantContext, Mapping[str, Any], str | None], Response]

# Each approval refusal's error code; its status is its kind's, and the store's message says how
# to proceed. Any other approval refusal is the caller's mistake: INVALID_APPROVAL.
APPROVAL_ERRORS: Mapping[type[ApprovalError], str] = {
    ApprovalNotFoundError: "approval_not_found",
    NotApproverError: "not_approver",
    SeparationOfDutiesError: "separation_of_duties",
    ApprovalExpiredError: "approval_expired",
    ApprovalAlreadyDecidedError: "already_decided",
    ApprovalExistsError: "approval_exists",
}
INVALID_APPROVAL: Final = "invalid_approval"
# Step Functions' answers when the task no longer waits (timed out, or the execution ended).
_CLOSED_TASK_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


@LOGGER.inject_lambda_context(correlation_id_path=API_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> Response:
    env = current()
    request_id = _request_id(event)
    try:
        with LOGGER.append_context_keys(requestId=request_id):
            return _serve(env, event, request_id)
    except ApiError as error:
        return error_response(error.code, error.message, request_id=request_id, headers=error.headers)
    except AuthenticationError as error:
        return error_response("unauthorized", error.message, request_id=request_id)
    except Exception:
        LOGGER.exception("Unexpected failure serving a request", extra={"requestId": request_id})
        return error_response(
            "internal_error",
            f"Something failed on our side; retry later, and quote requestId={request_id} if it persists",
            request_id=request_id,
        )
    finally:
        env.recorder.flush()


def _serve(env: Environment, event: Any, request_id: str) -> Response:
    if not isinstance(event, Mapping):
        raise ApiError("invalid_request", "The request is not an HTTP API (payload format 2.0) event")
    match = match_route(event)
    if match is None:
        methods = allowed_methods(event)
        if methods:
            raise ApiError("method_not_allowed", f"Use {' or '.join(methods)} on this path")
        raise ApiError("route_not_found", f"No such route; the API serves: {', '.join(ROUTES)}")
    if match.route in CONSOLE_ROUTES:
        return _console(match.route, request_id)
    context = context_from_api_gateway(event, env.claims)
    with LOGGER.append_context_keys(tenantId=context.tenant_id, userId=context.user_id):
        # First, before any other work: a tenant over its limit costs one counter write, no more.
        limit_requests(env, context, match.route, event)
        return _ROUTES[match.route](env, context, event, match.path_id)


def _console(route: str, request_id: str) -> Response:
    """The console's page or script, with its security headers: no token, as it holds no data."""
    from governed_assistant.console import console_asset  # read on the first console request only

    asset = console_asset(route)
    return text_response(
        HTTPStatus.OK, asset.body, asset.content_type, headers=asset.headers, request_id=request_id
    )


def post_message(
    env: Environment, context: TenantContext, event: Mapping[str, Any], _: str | None
) -> Response:
    body = parse_body(event, MessageBody)
    job = env.jobs.create(context, stage="guardrail_input")
    request_id = context.request_id
    with LOGGER.append_context_keys(jobId=job.job_id):
        screened = None
        with env.recorder.stage(job.job_id, context, "guardrail_input") as stage:
            try:
                screened = env.guardrail.check_input(body.message)
            except GuardrailError as error:
                stage.outcome, stage.details["error"] = "unavailable", str(error)
            else:
                stage.outcome = screened.outcome
                stage.details["reasons"] = list(screened.reasons)
        if screened is None:
            # Unscreened text never reaches the model: the job fails closed.
            env.jobs.transition(
                context.tenant_id,
                job.job_id,
                "failed",
                "guardrail_input",
                error="input guardrail unavailable",
            )
            env.recorder.record(job.job_id, context, "complete", "failed", details={"status": "failed"})
            raise ApiError(
                "guardrail_unavailable",
                f"The message could not be screened; retry later, jobId={job.job_id}",
            )
        if screened.blocked:
            env.jobs.transition(
                context.tenant_id,
                job.job_id,
                "rejected",
                "guardrail_input",
                result={"outcome": "blocked", "text": screened.text},
                error=screened.text,
            )
            env.recorder.record(job.job_id, context, "complete", "blocked", details={"status": "rejected"})
            rejected = MessageRejected(job_id=job.job_id, message=screened.text)
            return json_response(HTTPStatus.OK, rejected, request_id=request_id)
        try:
            dispatch_job(env, context, job.job_id, screened.text)
        except DispatchError as error:
            env.recorder.record(job.job_id, context, "complete", "failed", details={"status": "failed"})
            raise ApiError("dispatch_failed", f"{error}; retry the message later") from error
    return json_response(HTTPStatus.ACCEPTED, MessageAccepted(job_id=job.job_id), request_id=request_id)


def get_job(env: Environment, context: TenantContext, _: Mapping[str, Any], job_id: str | None) -> Response:
    try:
        job = env.jobs.get(context, str(job_id), admin_roles=env.spec.admin_roles)
    except JobNotFoundError as error:
        raise _job_not_found(error, job_id) from None
    return json_response(HTTPStatus.OK, job, request_id=context.request_id)


def get_job_events(
    env: Environment, context: TenantContext, event: Mapping[str, Any], job_id: str | None
) -> Response:
    try:
        last = parse_last_event_id(header(event, "last-event-id"))
    except ValueError:
        raise ApiError(
            "invalid_last_event_id", "Last-Event-ID must be an event id this stream sent"
        ) from None
    try:
        progress = env.jobs.get_progress(context, str(job_id), admin_roles=env.spec.admin_roles)
    except JobNotFoundError as error:
        raise _job_not_found(error, job_id) from None
    running = progress.job.status not in TERMINAL_STATUSES
    newest = progress.entries[-1].seq if progress.entries else 0
    if not running and last is not None and last >= newest:
        # Nothing left to tell: 204 makes an EventSource stop reconnecting.
        return empty_response(HTTPStatus.NO_CONTENT, request_id=context.request_id)
    body = format_sse(progress.entries, last, retry_ms=SSE_RETRY_MS if running else None)
    return event_stream_response(body, request_id=context.request_id)


def get_approvals(env: Environment, context: TenantContext, _: Mapping[str, Any], __: str | None) -> Response:
    try:
        views = env.approvals.pending(context, approver_roles=env.spec.approver_roles)
    except ApprovalError as error:
        raise _approval_error(error) from None
    return json_response(HTTPStatus.OK, ApprovalList(approvals=tuple(views)), request_id=context.request_id)


def post_approval(
    env: Environment, context: TenantContext, event: Mapping[str, Any], approval_id: str | None
) -> Response:
    body = parse_body(event, DecisionBody)
    if body.decision == "approve":
        _refuse_while_killed(env, context, str(approval_id))
    try:
        decision = env.approvals.decide(
            context,
            str(approval_id),
            body.decision == "approve",
            body.comment,
            approver_roles=env.spec.approver_roles,
        )
    except ApprovalError as error:
        LOGGER.warning(
            "Approval decision refused", extra={"approvalId": approval_id, "error": type(error).__name__}
        )
        raise _approval_error(error) from None
    approval = decision.approval
    resume_error: str | None = None
    with env.recorder.stage(approval.job_id, context, "approval_decided") as stage:
        stage.outcome = approval.status
        stage.details = {"approvalId": approval.approval_id, "requestedBy": approval.requested_by}
        # No evidence, no action: the job resumes only once the decision's record is archived.
        stage.details["archiveVersion"] = _archive(env, approval)
        try:
            send_decision(env.client("stepfunctions"), decision)
        except Exception as error:  # the decision is recorded; say why the job did not resume
            resume_error = str(
                getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
            )
            stage.details["resumeError"] = resume_error
            LOGGER.error("Job not resumed", extra={"approvalId": approval.approval_id, "code": resume_error})
    if resume_error in _CLOSED_TASK_ERRORS:
        raise ApiError("approval_closed", "The decision was recorded, but the job no longer waits for it")
    if resume_error is not None:
        raise ApiError(
            "resume_failed",
            f"The decision was recorded, but the job was not resumed, error={resume_error}",
        )
    return json_response(HTTPStatus.OK, approval, request_id=context.request_id)


def _archive(env: Environment, approval: ApprovalView) -> str | None:
    """Write the decided approval's audit record; its object version, or None without an archive."""
    archive = env.audit_archive
    if archive is None:
        return None
    try:
        digest = env.jobs.load(approval.tenant_id, approval.job_id).proposal_digest
    except JobNotFoundError:
        digest = None  # purged or erased: the record still says who decided what
    try:
        return archive.record(approval, digest)
    except AuditArchiveError as error:
        LOGGER.error(
            "Approval not archived", extra={"approvalId": approval.approval_id, "problem": str(error)}
        )
        raise ApiError(
            "archive_failed",
            f"The decision was recorded, but its audit record was not archived, {error}; the job was not "
            "resumed",
        ) from None


def _refuse_while_killed(env: Environment, context: TenantContext, approval_id: str) -> None:
    """No approval is granted while the tenant's kill switch is on; it stays pending (rejecting is fine)."""
    from governed_assistant.runtime.flags import FlagsConfigError  # Powertools: loaded on first use

    try:
        killed = env.flags.for_tenant(context).kill_switch
    except FlagsConfigError as error:
        # Without a flags store this function cannot tell; the execute step checks again before anything runs.
        LOGGER.warning("No rollout flags configured; kill switch not checked", extra={"problem": str(error)})
        return
    if not killed:
        return
    reason = "kill_switch: the kill switch is on: every action is refused until it is turned off"
    env.recorder.record(
        approval_id, context, "approval_decided", "deny",
        details={"approvalId": approval_id, "reasons": [reason], "reasonCodes": ["kill_switch"]},
    )  # fmt: skip
    env.recorder.flush()
    raise ApiError(
        "kill_switch",
        "The kill switch is on, so no approval can be granted; the approval stays pending until it is "
        "turned off or the approval expires",
    )


def _job_not_found(error: JobNotFoundError, job_id: str | None) -> ApiError:
    return ApiError(
        "job_not_found",
        f"No job {job_id} for you; check the id the POST /messages answer gave",
    )


def _approval_error(error: ApprovalError) -> ApiError:
    code = APPROVAL_ERRORS.get(type(error), INVALID_APPROVAL)
    return ApiError(code, str(error))


def _request_id(event: Any) -> str:
    request_context = event.get("requestContext") if isinstance(event, Mapping) else None
    request_id = request_context.get("requestId") if isinstance(request_context, Mapping) else None
    if isinstance(request_id, str) and 0 < len(request_id) <= 128:
        return request_id
    return str(uuid.uuid4())


_ROUTES: Mapping[str, Route] = {
    ROUTE_MESSAGES: post_message,
    ROUTE_JOB: get_job,
    ROUTE_JOB_EVENTS: get_job_events,
    ROUTE_APPROVALS: get_approvals,
    ROUTE_DECISION: post_approval,
}
