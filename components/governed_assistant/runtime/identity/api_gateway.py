"""TenantContext behind API Gateway: from the token its authorizer has already verified.

The JWT authorizer verifies the bearer token (signature, issuer, audience, lifetime) and passes its
claims on under ``requestContext.authorizer.jwt.claims``, but flattened: an HTTP API renders every
claim as a string and a list as ``"[a b]"`` (``flatten_claims``). A null tenant would arrive as
``"None"`` and one group named ``former supervisor`` as two roles. So tenant, user and roles are
read with their JSON types from the payload of the same token, in the Authorization header the
authorizer read (its identity source). The signature is not checked twice: the authorizer's
claims must agree with the payload on tenant, user and roles, so any other token is refused. A
request that has authorizer claims but no token that decodes is refused (401); the flattened
claims are never used in its place.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.identity.bearer import COMPACT_JWS, bearer_token
from governed_assistant.runtime.identity.claims import context_from_claims
from governed_assistant.runtime.identity.constants import MAX_TOKEN_CHARS
from governed_assistant.runtime.identity.exceptions import AuthenticationError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Claims

_MAX_REQUEST_ID_CHARS = 128
# How the authorizers flatten a list of groups: "[a b]" (HTTP API) or "a,b" (REST API, Cognito).
_FLAT_LIST_SEPARATORS = re.compile(r"[\s,\[\]]+")


def context_from_api_gateway(event: Mapping[str, Any], claims_config: Claims | None = None) -> TenantContext:
    """Who is asking, from the token API Gateway's authorizer verified for this proxy event.

    Needs ``requestContext.authorizer`` (the HTTP API JWT authorizer's ``jwt.claims`` or the REST
    API Cognito authorizer's ``claims``) as proof the token was verified, and reads the typed
    claims from that token in the ``Authorization`` header (``Bearer <JWT>`` or the bare JWT, as
    the authorizer accepts both). A tenant id in the body, another header, the query or the path
    is ignored. ``request_id`` is API Gateway's ``requestContext.requestId``.
    """
    # Imported here for the same reason as in claims: only this default needs the spec model.
    from governed_assistant.spec.model import Claims

    names = claims_config or Claims()
    request_context = event.get("requestContext")
    if not isinstance(request_context, Mapping):
        request_context = {}
    route = request_context.get("routeKey", request_context.get("resourcePath"))
    verified = _authorizer_claims(request_context.get("authorizer"))
    if verified is None:
        raise AuthenticationError(
            "no_verified_claims",
            f"No verified claims in requestContext.authorizer, route={route}; attach the API's JWT "
            "(or Cognito) authorizer to this route - the tenant is never read from the body, headers "
            "or query",
        )
    payload = unverified_payload(_gateway_token(_authorization(event), route))
    request_id = request_context.get("requestId")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= _MAX_REQUEST_ID_CHARS:
        request_id = None
    context = context_from_claims(payload, names, request_id=request_id)
    _check_same_token(context, verified, names)
    return context


def unverified_payload(token: str) -> dict[str, Any]:
    """The claims of a compact JWS, decoded but NOT verified: only for a token already verified.

    Behind API Gateway the authorizer has checked the signature; this only recovers the claims'
    JSON types, which the authorizer's flattened copy has lost.
    """
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError(f"{len(parts)} parts")
        segment = parts[1]
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError) as error:
        raise AuthenticationError(
            "malformed_token",
            f"Bearer token payload does not decode, error={type(error).__name__}; send the identity "
            "provider's token unchanged",
        ) from None
    if not isinstance(decoded, dict):
        raise AuthenticationError(
            "malformed_token",
            f"Bearer token payload is not a JSON object, type={type(decoded).__name__}; send the identity "
            "provider's token unchanged",
        )
    return decoded


def flatten_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as HTTP API's JWT authorizer passes them on: every value a string, lists as ``[a b]``."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, str):
            flat[name] = value
        elif isinstance(value, list | tuple):
            flat[name] = "[" + " ".join(str(item) for item in value) + "]"
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, Mapping):
            flat[name] = json.dumps(value, separators=(",", ":"))
        else:
            flat[name] = str(value)
    return flat


def _authorization(event: Mapping[str, Any]) -> str | None:
    """The Authorization header, case-insensitively (HTTP APIs lowercase names, REST APIs do not)."""
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "authorization" and isinstance(value, str):
            return value
    return None


def _gateway_token(authorization: str | None, route: Any) -> str:
    if authorization is None or not authorization.strip():
        raise AuthenticationError(
            "missing_token",
            f"Verified claims but no token in the Authorization header, route={route!s:.64}; the API "
            "reads the claims with their types from the token the authorizer verified - keep the "
            "authorizer's identity source $request.header.Authorization",
        )
    bare = authorization.strip()
    if len(bare) <= MAX_TOKEN_CHARS and COMPACT_JWS.fullmatch(bare):
        return bare  # the authorizer accepts a token without the Bearer prefix too
    return bearer_token(authorization)


def _check_same_token(context: TenantContext, verified: Mapping[str, Any], names: Claims) -> None:
    """Refuse when the header's token is not the one whose claims the authorizer passed on."""
    differing = [
        claim
        for claim, value in ((names.tenant, context.tenant_id), (names.user, context.user_id))
        if verified.get(claim) != value
    ]
    if not set(context.roles) <= set(_flat_list(verified.get(names.roles))):
        differing.append(names.roles)
    if differing:
        raise AuthenticationError(
            "token_mismatch",
            f"The Authorization header holds another token than the one the authorizer verified, "
            f"claims={','.join(differing)}; send exactly one token, and keep the authorizer's identity "
            "source $request.header.Authorization",
        )


def _flat_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part for part in _FLAT_LIST_SEPARATORS.split(value) if part]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


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
