"""HTTP statuses, in one place: the status of each ``ErrorKind``, and each API error code's status.

The runtime raises errors that say what kind of refusal they are (``GovernanceError.kind``); only
this edge knows which HTTP status each kind is answered with. The API answers a refusal with an
error code (``{"error": code, "message"}``); ``ERROR_CODES`` is every code it may send, with its
status and what it means, so the handlers (``ApiError(code, ...)``) and the API's OpenAPI document
(``governed_assistant.handlers.openapi``) cannot disagree on either.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

from governed_assistant.errors import ErrorKind, GovernanceError
from governed_assistant.handlers.constants import MAX_BODY_BYTES, MAX_BODY_DEPTH

STATUS_BY_KIND: Final[Mapping[ErrorKind, int]] = MappingProxyType(
    {
        "invalid": 400,
        "unauthenticated": 401,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
        "throttled": 429,
        "unavailable": 503,
    }
)
# An error of no kind is the service's own failure.
INTERNAL_ERROR_STATUS: Final = 500


class ErrorCode(NamedTuple):
    """An error code's status, and what it means for the caller (the OpenAPI document shows it)."""

    status: int
    meaning: str


ERROR_CODES: Final[Mapping[str, ErrorCode]] = MappingProxyType(
    {
        "invalid_request": ErrorCode(400, "The event is not an HTTP API (payload format 2.0) request."),
        "missing_body": ErrorCode(400, "The request has no body; send a JSON object."),
        "invalid_body": ErrorCode(
            400, "The body is not a JSON object, is not text, or is marked base64 but does not decode."
        ),
        "invalid_json": ErrorCode(400, "The body is not valid JSON."),
        "body_too_deep": ErrorCode(
            400, f"The body nests arrays or objects more than {MAX_BODY_DEPTH} levels deep."
        ),
        "unknown_field": ErrorCode(
            400,
            "The body has a field the route does not take (a tenantId too: the tenant comes from the "
            "token alone).",
        ),
        "missing_field": ErrorCode(400, "The body lacks a required field."),
        "invalid_field": ErrorCode(400, "A field's value is not of its type or outside its bounds."),
        "invalid_last_event_id": ErrorCode(400, "Last-Event-ID is not an event id this stream sent."),
        "invalid_approval": ErrorCode(400, "The approval store refuses the decision's values."),
        "unauthorized": ErrorCode(
            401, "The verified token lacks the tenant, user or roles claim, or one is not valid."
        ),
        "not_approver": ErrorCode(403, "The caller holds none of the spec's approver roles."),
        "separation_of_duties": ErrorCode(
            403, "The user who asked for the action may not decide its approval; another approver must."
        ),
        "route_not_found": ErrorCode(
            404, "No route serves this method and path (an id outside [A-Za-z0-9_-]{1,64} included)."
        ),
        "job_not_found": ErrorCode(
            404,
            "No such job for the caller: another user's job (unless the caller is an admin of its "
            "tenant) and another tenant's look the same.",
        ),
        "approval_not_found": ErrorCode(
            404, "No such approval in the caller's tenant; another tenant's looks the same."
        ),
        "method_not_allowed": ErrorCode(405, "The path is served, but not with this method."),
        "approval_exists": ErrorCode(409, "An approval with this id already exists."),
        "approval_expired": ErrorCode(
            409, "The approval's deadline passed before the decision; it is recorded as expired (denied)."
        ),
        "already_decided": ErrorCode(409, "The approval is no longer pending: it was decided before."),
        "approval_closed": ErrorCode(
            409, "The decision was recorded, but the job no longer waits for it (timed out or ended)."
        ),
        "kill_switch": ErrorCode(
            409,
            "The tenant's kill switch is on, so no approval can be granted; the approval stays pending.",
        ),
        "payload_too_large": ErrorCode(413, f"The body exceeds {MAX_BODY_BYTES} bytes."),
        "unsupported_media_type": ErrorCode(415, "The body is not sent as content-type: application/json."),
        "rate_limited": ErrorCode(
            429,
            "The tenant made more requests this minute than its limit allows; retry after the "
            "Retry-After header's seconds.",
        ),
        "internal_error": ErrorCode(
            INTERNAL_ERROR_STATUS, "Something failed on the service's side; quote the requestId."
        ),
        "guardrail_unavailable": ErrorCode(
            503, "The input guardrail could not screen the message; the job is failed, nothing ran."
        ),
        "dispatch_failed": ErrorCode(
            503, "The job could not be handed to the execution layer; it is failed, nothing ran."
        ),
        "resume_failed": ErrorCode(503, "The decision was recorded, but the job could not be resumed."),
        "archive_failed": ErrorCode(
            503,
            "The decision was recorded, but its audit record could not be archived; the job was not "
            "resumed, and ends denied when the approval times out.",
        ),
    }
)


def status_for(error: GovernanceError, *, default: ErrorKind | None = None) -> int:
    """The status ``error`` is answered with: its kind's, else ``default``'s, else 500."""
    kind = error.kind or default
    return STATUS_BY_KIND[kind] if kind else INTERNAL_ERROR_STATUS


def status_of(code: str) -> int:
    """The status error ``code`` is answered with; KeyError for a code ``ERROR_CODES`` lacks."""
    return ERROR_CODES[code].status
