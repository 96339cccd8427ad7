"""HTTP API (payload format 2.0) responses: their bodies as models, JSON errors, and event streams.

Every JSON body the API sends is one of the models below (or a contract: ``Job``,
``ApprovalView``), and ``json_response`` takes nothing else (the console's page and script, the
only other bodies, go out through ``text_response``): the OpenAPI document
(``governed_assistant.handlers.openapi``) is generated from the same models, so it describes what
the handlers send, field for field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from governed_assistant.contracts import Contract, JobStatus
from governed_assistant.handlers.http import status_of
from governed_assistant.runtime.approvals.models import ApprovalView
from governed_assistant.runtime.identity.exceptions import AuthenticationReason
from governed_assistant.runtime.jobs.progress import ProgressEntry

JSON_TYPE = "application/json"
EVENT_STREAM_TYPE = "text/event-stream"


class ErrorBody(Contract):
    """A refusal: what went wrong, as a code a client can branch on, and what to do about it."""

    error: str = Field(description="The error code; its status and meaning are listed in the description.")
    message: str = Field(description="What is wrong, where, and how to fix it.")
    request_id: str = Field(description="The request's id: quote it when asking about a failure.")


class MessageAccepted(Contract):
    """The message is screened and its job handed to the execution layer: follow the job."""

    job_id: str
    status: Literal["accepted"] = "accepted"


class MessageRejected(Contract):
    """The input guardrail blocked the message: the job ended at once, rejected, and nothing ran."""

    job_id: str
    status: Literal["rejected"] = "rejected"
    message: str = Field(description="The guardrail's message for the user.")


class ApprovalList(Contract):
    """The tenant's pending approvals the caller may decide: never their own, never a task token."""

    approvals: tuple[ApprovalView, ...]


class ProgressEvent(Contract):
    """One step of a job's history, the ``data`` of a ``progress`` server-sent event."""

    seq: int = Field(ge=1, description="The event's id: send it back as Last-Event-ID to resume.")
    status: JobStatus
    stage: str
    at: datetime

    @classmethod
    def of(cls, entry: ProgressEntry) -> ProgressEvent:
        return cls(seq=entry.seq, status=entry.status, stage=entry.stage, at=entry.at)


class Health(Contract):
    """The local API is up (``make dev``)."""

    status: Literal["ok"] = "ok"


class DemoToken(Contract):
    """One of ``make dev``'s demo identities, with a token of the local stack's dev issuer."""

    label: str = Field(description="What the identity is for, e.g. 'acme supervisor'.")
    tenant: str
    user: str
    roles: tuple[str, ...]
    token: str = Field(description="A bearer token for this identity, valid on the local stack only.")


class DemoTokens(Contract):
    """The local stack's demo identities, for the console's sign-in (``make dev`` only)."""

    identities: tuple[DemoToken, ...]


class GatewayError(BaseModel):
    """What API Gateway answers itself, before or instead of the API function: a refused token (the
    JWT authorizer), throttling, a function that failed. The local stack answers in its place with
    the same ``message``, and says why it refused a token in ``reason`` and ``detail``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str
    reason: AuthenticationReason | None = Field(
        default=None, description="Why the token was refused (the local stack only)."
    )
    detail: str | None = Field(default=None, description="How to fix it (the local stack only).")


def json_response(status: int, body: BaseModel, *, request_id: str | None = None) -> dict[str, Any]:
    text = json.dumps(body.model_dump(mode="json", by_alias=True), separators=(",", ":"))
    return _response(status, text, JSON_TYPE, request_id)


def error_response(
    code: str, message: str, *, request_id: str, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``{"error": code, "message": what to do about it, "requestId"}`` with the code's status
    (and ``headers``, e.g. a 429's Retry-After)."""
    body = ErrorBody(error=code, message=message, request_id=request_id)
    response = json_response(status_of(code), body, request_id=request_id)
    response["headers"].update(headers or {})
    return response


def event_stream_response(body: str, *, request_id: str | None = None) -> dict[str, Any]:
    response = _response(200, body, f"{EVENT_STREAM_TYPE}; charset=utf-8", request_id)
    response["headers"]["x-accel-buffering"] = "no"
    return response


def text_response(
    status: int,
    body: str,
    content_type: str,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A body that is no model (the console's page and script), with its own extra headers."""
    response = _response(status, body, content_type, request_id)
    response["headers"].update(headers or {})
    return response


def empty_response(status: int, *, request_id: str | None = None) -> dict[str, Any]:
    return _response(status, "", None, request_id)


def _response(status: int, body: str, content_type: str | None, request_id: str | None) -> dict[str, Any]:
    headers: dict[str, str] = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
    if content_type:
        headers["content-type"] = content_type
    if request_id:
        headers["x-request-id"] = request_id
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, case-insensitively (HTTP APIs lowercase them; local callers may not)."""
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None
