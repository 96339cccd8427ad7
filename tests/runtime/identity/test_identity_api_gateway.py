"""Behind API Gateway, the context comes from the authorizer's verified claims and nowhere else."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from governed_assistant.runtime.identity import AuthenticationError, JwtVerifier, context_from_api_gateway
from governed_assistant.spec.model import Claims
from governed_assistant.testing import TokenIssuer, identity_claims

ALICE = identity_claims("acme", "alice", roles=["agent", "supervisor"])
TENANT = "custom:tenantId"


def _as_http_api_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims the way an HTTP API JWT authorizer passes them on: lists flattened to "[a b]"."""
    return {
        name: "[" + " ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)
        for name, value in claims.items()
    }


def _http_api_event(claims: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event; ``claims=None`` means no authorizer ran."""
    request_context: dict[str, Any] = {"requestId": "req-42", "routeKey": "POST /messages"}
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": _as_http_api_claims(claims), "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "POST /messages",
        "headers": {"content-type": "application/json"},
        "requestContext": request_context,
        "body": json.dumps({"message": "close ticket 7"}),
        **extra,
    }


def _rest_api_event(claims: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway REST API event behind a Cognito user pool authorizer: groups comma-separated."""
    flattened = {
        name: ",".join(value) if isinstance(value, list) else value for name, value in claims.items()
    }
    return {
        "resource": "/messages",
        "httpMethod": "POST",
        "requestContext": {"requestId": "req-43", "authorizer": {"claims": flattened}},
        "body": "{}",
    }


def test_context_from_api_gateway_http_api_returns_context() -> None:
    """An HTTP API JWT authorizer's claims become the context, roles parsed from "[a b]"."""
    context = context_from_api_gateway(_http_api_event(ALICE))
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))
    assert context.request_id == "req-42"


def test_context_from_api_gateway_rest_cognito_returns_context() -> None:
    """A REST API Cognito authorizer's claims become the context, roles parsed from "a,b"."""
    context = context_from_api_gateway(_rest_api_event(ALICE))
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))
    assert context.request_id == "req-43"


def test_context_from_api_gateway_custom_claim_names_used() -> None:
    """Claim names come from the spec's identity.claims."""
    names = Claims(tenant="tid", user="oid", roles="roles")
    event = _http_api_event({**identity_claims("globex", "u-9", ["approver"], claims_config=names), **ALICE})
    context = context_from_api_gateway(event, names)
    assert (context.tenant_id, context.user_id, context.roles) == ("globex", "u-9", ("approver",))


def test_context_from_api_gateway_same_as_direct_verification(trusted: TokenIssuer) -> None:
    """The authorizer path and the direct path give the same context for the same token."""
    token = trusted.token(ALICE)
    direct = trusted.verifier().verify(f"Bearer {token}", request_id="req-42")
    verified = jwt.decode(token, options={"verify_signature": False})
    assert context_from_api_gateway(_http_api_event(verified)) == direct


def _inject(place: str) -> Callable[[dict[str, Any]], None]:
    """Put tenant "globex" and an admin role wherever a client controls the request."""

    def mutate(event: dict[str, Any]) -> None:
        forged = {"tenantId": "globex", TENANT: "globex", "sub": "mallory", "cognito:groups": "admin"}
        if place == "body":
            event["body"] = json.dumps({"message": "hi", **forged})
        elif place == "headers":
            event["headers"].update({"x-tenant-id": "globex", "x-user-id": "mallory", **forged})
        elif place == "query":
            event["queryStringParameters"] = forged
            event["rawQueryString"] = "tenantId=globex&sub=mallory"
        elif place == "path":
            event["pathParameters"] = forged
        elif place == "stage-variables":
            event["stageVariables"] = forged
        elif place == "top-level":
            event.update(forged)
        elif place == "request-context":
            event["requestContext"].update(forged)
        elif place == "lambda-authorizer-context":
            event["requestContext"].setdefault("authorizer", {})["lambda"] = forged

    return mutate


PLACES = [
    pytest.param(place, id=place)
    for place in (
        "body", "headers", "query", "path", "stage-variables", "top-level", "request-context",
        "lambda-authorizer-context",
    )
]  # fmt: skip


@pytest.mark.parametrize("place", PLACES)
def test_context_from_api_gateway_injected_tenant_ignored(place: str) -> None:
    """A tenant, user or role sent by the client anywhere in the request is ignored."""
    event = _http_api_event(ALICE)
    _inject(place)(event)
    context = context_from_api_gateway(copy.deepcopy(event))
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))


@pytest.mark.parametrize("place", PLACES)
def test_context_from_api_gateway_no_authorizer_refused_despite_injection(place: str) -> None:
    """Without verified authorizer claims the request is refused, whatever the client sent."""
    event = _http_api_event(None)
    _inject(place)(event)
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(event)
    assert refused.value.reason == "no_verified_claims"
    assert "route=POST /messages" in str(refused.value)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty-event"),
        pytest.param({"requestContext": "oops"}, id="request-context-not-object"),
        pytest.param({"requestContext": {"authorizer": None}}, id="authorizer-null"),
        pytest.param({"requestContext": {"authorizer": {"jwt": {"claims": "[]"}}}}, id="claims-not-object"),
        pytest.param({"requestContext": {"authorizer": {"jwt": {"scopes": ["x"]}}}}, id="jwt-without-claims"),
    ],
)
def test_context_from_api_gateway_without_claims_refused(event: dict[str, Any]) -> None:
    """An event without an authorizer claims object is refused as unauthenticated."""
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(event)
    assert refused.value.reason == "no_verified_claims"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({"sub": "alice"}, "missing_tenant", id="missing-tenant"),
        pytest.param({TENANT: "acme"}, "missing_user", id="missing-user"),
        pytest.param({TENANT: "", "sub": "alice"}, "invalid_tenant", id="empty-tenant"),
    ],
)
def test_context_from_api_gateway_incomplete_claims_refused(claims: dict[str, Any], reason: str) -> None:
    """Verified claims without a usable tenant or user are refused with the reason."""
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(_http_api_event(claims))
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "request_id",
    [pytest.param(None, id="missing"), pytest.param("", id="empty"), pytest.param("x" * 200, id="too-long")],
)
def test_context_from_api_gateway_unusable_request_id_generates_uuid(request_id: str | None) -> None:
    """Without a usable API Gateway request id the context gets a fresh uuid."""
    event = _http_api_event(ALICE)
    event["requestContext"]["requestId"] = request_id
    uuid.UUID(context_from_api_gateway(event).request_id)


def test_verifier_and_authorizer_disagree_on_nothing(trusted: TokenIssuer) -> None:
    """A token the verifier refuses for its tenant is refused by the authorizer path for the same reason."""
    claims = {**ALICE, TENANT: "acme/../globex"}
    verifier: JwtVerifier = trusted.verifier()
    with pytest.raises(AuthenticationError) as direct:
        verifier.verify(trusted.bearer(claims))
    with pytest.raises(AuthenticationError) as behind_gateway:
        context_from_api_gateway(_http_api_event(claims))
    assert direct.value.reason == behind_gateway.value.reason == "invalid_tenant"
