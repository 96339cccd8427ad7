"""TenantContext behind API Gateway: from the claims its authorizer has already verified."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.identity.claims import context_from_claims
from governed_assistant.runtime.identity.exceptions import AuthenticationError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Claims

_MAX_REQUEST_ID_CHARS = 128


def context_from_api_gateway(event: Mapping[str, Any], claims_config: Claims | None = None) -> TenantContext:
    """Who is asking, from ``requestContext.authorizer`` of an API Gateway proxy event.

    Reads the HTTP API JWT authorizer's ``authorizer.jwt.claims`` or the REST API Cognito
    authorizer's ``authorizer.claims``; nothing else. A tenant id in the body, a header, the query
    or the path is ignored. ``request_id`` is API Gateway's ``requestContext.requestId``.
    """
    request_context = event.get("requestContext")
    if not isinstance(request_context, Mapping):
        request_context = {}
    claims = _authorizer_claims(request_context.get("authorizer"))
    if claims is None:
        route = request_context.get("routeKey", request_context.get("resourcePath"))
        raise AuthenticationError(
            "no_verified_claims",
            f"No verified claims in requestContext.authorizer, route={route}; attach the API's JWT "
            "(or Cognito) authorizer to this route - the tenant is never read from the body, headers "
            "or query",
        )
    request_id = request_context.get("requestId")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= _MAX_REQUEST_ID_CHARS:
        request_id = None
    return context_from_claims(claims, claims_config, request_id=request_id)


def _authorizer_claims(authorizer: Any) -> Mapping[str, Any] | None:
    if not isinstance(authorizer, Mapping):
        return None
    jwt_section = authorizer.get("jwt")
    if isinstance(jwt_section, Mapping) and isinstance(jwt_section.get("claims"), Mapping):
        claims: Mapping[str, Any] = jwt_section["claims"]
        return claims
    cognito_claims = authorizer.get("claims")
    if isinstance(cognito_claims, Mapping):
        return cognito_claims
    return None
