"""HTTP API (payload format 2.0) responses: JSON bodies, JSON errors, and event streams."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governed_assistant.handlers.http import status_of

JSON_TYPE = "application/json"
EVENT_STREAM_TYPE = "text/event-stream"


def json_response(status: int, body: Any, *, request_id: str | None = None) -> dict[str, Any]:
    return _response(status, json.dumps(body, separators=(",", ":"), default=str), JSON_TYPE, request_id)


def error_response(code: str, message: str, *, request_id: str | None = None) -> dict[str, Any]:
    """``{"error": code, "message": what to do about it}`` with the code's status; a request id when
    there is one."""
    body: dict[str, Any] = {"error": code, "message": message}
    if request_id:
        body["requestId"] = request_id
    return json_response(status_of(code), body, request_id=request_id)


def event_stream_response(body: str, *, request_id: str | None = None) -> dict[str, Any]:
    response = _response(200, body, f"{EVENT_STREAM_TYPE}; charset=utf-8", request_id)
    response["headers"]["x-accel-buffering"] = "no"
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
