"""API Gateway in a test: the event its JWT authorizer hands the API function, and who that is.

    issuer = TokenIssuer()
    context = api_gateway_context(issuer.bearer(identity_claims("acme", "alice", ["agent"])))

``api_gateway_context`` reads the event with the code the API function runs, so a test sees the
same refusals (``GovernanceError`` whose message ends with ``(reason=...)``) as a caller would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.identity import (
    bearer_token,
    context_from_api_gateway,
    flatten_claims,
    unverified_payload,
)
from governed_assistant.runtime.identity.bearer import COMPACT_JWS
from governed_assistant.spec.model import Claims
from governed_assistant.wire import ROUTE_MESSAGES


def http_api_event(
    authorization: str,
    *,
    verified_claims: Mapping[str, Any] | None = None,
    route_key: str = ROUTE_MESSAGES,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    request_id: str = "req-test",
) -> dict[str, Any]:
    """The payload 2.0 event an HTTP API sends once its JWT authorizer accepted ``authorization``.

    The authorizer verifies nothing here: use tokens a ``TokenIssuer`` signed. The token's claims
    go under ``requestContext.authorizer.jwt.claims`` flattened to strings, as HTTP APIs flatten
    them; ``verified_claims`` replaces them (to build an event no real authorizer would send).
    """
    if verified_claims is None:
        bare = authorization.strip()
        verified_claims = unverified_payload(bare if COMPACT_JWS.fullmatch(bare) else bearer_token(bare))
    method, path = route_key.split(" ", 1)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **(headers or {}), "authorization": authorization},
        "requestContext": {
            "authorizer": {"jwt": {"claims": flatten_claims(verified_claims), "scopes": None}},
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def api_gateway_context(authorization: str, claims_config: Claims | None = None) -> TenantContext:
    """Who the API function behind API Gateway takes the sender of ``authorization`` to be.

    ``claims_config`` is the spec's ``identity.claims``. Raises ``AuthenticationError`` (a
    ``GovernanceError``; ``.reason`` says why) when the API would answer 401.
    """
    return context_from_api_gateway(http_api_event(authorization), claims_config)
