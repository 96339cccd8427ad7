"""Request bodies: JSON objects of a known, closed shape, within a size limit - or a 4xx that says why.

Unknown fields are refused, not ignored: a ``tenantId`` in a body can never mean anything (the
tenant comes from the verified token alone), and a client sending one has a bug worth hearing of.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from governed_assistant.handlers.constants import (
    MAX_BODY_BYTES,
    MAX_BODY_DEPTH,
    MAX_COMMENT_CHARS,
    MAX_MESSAGE_CHARS,
)
from governed_assistant.handlers.exceptions import ApiError
from governed_assistant.handlers.responses import header

M = TypeVar("M", bound=BaseModel)

# What the depth scan reads: a bracket, or a JSON string (escapes included; an unterminated one runs
# to the end) to skip. Possessive, so that no input makes the scan backtrack: it is linear.
_BRACKET_OR_STRING = re.compile(rb'[\[\]{}]|"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
# The error code of a body that does not fit its model, by pydantic's error type; any other is INVALID_FIELD.
BODY_FIELD_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {"extra_forbidden": "unknown_field", "missing": "missing_field"}
)
INVALID_FIELD: Final = "invalid_field"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MessageBody(Body):
    """What the user asks the assistant, in words (``POST /messages``). Nothing else: who asks comes
    from the verified token alone."""

    message: str = Field(
        min_length=1, max_length=MAX_MESSAGE_CHARS, description="The request, leading and trailing space cut."
    )


class DemoTokensBody(Body):
    """The local stack's console key (``POST /console/demo-tokens``): the fragment of the console URL
    ``make dev`` prints, so only whoever sees the banner can sign in as a demo identity."""

    key: str = Field(min_length=1, max_length=256, description="The running stack's console key.")


class DecisionBody(Body):
    """An approver's decision on a pending approval (``POST /approvals/{id}``)."""

    decision: Literal["approve", "reject"] = Field(
        description="approve runs the action; reject ends the job rejected, nothing run."
    )
    comment: str | None = Field(
        default=None,
        max_length=MAX_COMMENT_CHARS,
        description="Why: kept as the approval's reason (and, in AWS, in a rejected job's error).",
    )


def parse_body(event: Mapping[str, Any], model: type[M]) -> M:
    """The body as ``model``; ApiError 413, 415 or 400 naming the first problem and how to fix it."""
    raw = _raw_body(event)
    content_type = (header(event, "content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(
            "unsupported_media_type",
            f"Send the body as JSON with content-type: application/json, got={content_type or 'none'}",
        )
    if _nesting_depth(raw) > MAX_BODY_DEPTH:
        raise _too_deep()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError("invalid_json", f"The body is not valid JSON ({error}); send a JSON object") from None
    except RecursionError:  # the scan above should have refused it; never let it be a 500
        raise _too_deep() from None
    if not isinstance(data, dict):
        raise ApiError("invalid_body", f"The body must be a JSON object, got a {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "(body)"
        code = BODY_FIELD_CODES.get(first["type"], INVALID_FIELD)
        allowed = ", ".join(model.model_fields)
        raise ApiError(code, f"{field}: {first['msg']}; the body takes only: {allowed}") from None


def _raw_body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body")
    if body is None or body == "":
        raise ApiError("missing_body", "The request has no body; send a JSON object")
    if not isinstance(body, str):
        raise ApiError("invalid_body", "The body must be text")
    if event.get("isBase64Encoded"):
        # base64 is 4/3 of the bytes: refuse the encoded size first, so a huge body is never decoded.
        if len(body) > (MAX_BODY_BYTES * 4) // 3 + 4:
            raise _too_large()
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError("invalid_body", "The body is marked base64 but does not decode") from None
    else:
        raw = body.encode("utf-8")
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _nesting_depth(raw: bytes) -> int:
    """How deep ``raw``'s arrays and objects nest, brackets inside strings aside; stops past the limit."""
    depth = deepest = 0
    for token in _BRACKET_OR_STRING.finditer(raw):
        first = token.group()[:1]
        if first == b'"':
            continue
        depth += 1 if first in b"[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_BODY_DEPTH:
            break
    return deepest


def _too_deep() -> ApiError:
    return ApiError(
        "body_too_deep",
        f"The body nests arrays or objects more than {MAX_BODY_DEPTH} levels deep, "
        f"max_depth={MAX_BODY_DEPTH}; send a flat JSON object such as "
        '{"message": "..."}',
    )


def _too_large() -> ApiError:
    return ApiError("payload_too_large", f"The body exceeds {MAX_BODY_BYTES} bytes; send a shorter message")
