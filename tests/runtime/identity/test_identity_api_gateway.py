"""Behind API Gateway, the context comes from the authorizer's verified claims and nowhere else."""

from __future__ import annotations

import base64
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
GROUPS = "cognito:groups"
# The identity provider API Gateway's authorizer trusts: tokens it signs passed the authorizer.
PROVIDER = TokenIssuer()


def _as_http_api_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims the way an HTTP API JWT authorizer passes them on: lists flattened to "[a b]"."""
    return {
        name: "[" + " ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)
        for name, value in claims.items()
    }


def _http_api_event(
    claims: dict[str, Any] | None, *, authorization: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event after the authorizer accepted a token carrying ``claims``.

    The token is in the Authorization header (``authorization`` replaces it); ``claims=None``
    means no authorizer ran and no token was sent.
    """
    request_context: dict[str, Any] = {"requestId": "req-42", "routeKey": "POST /messages"}
    headers = {"content-type": "application/json"}
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": _as_http_api_claims(claims), "scopes": None}}
        headers["authorization"] = PROVIDER.bearer(claims) if authorization is None else authorization
    return {
        "version": "2.0",
        "routeKey": "POST /messages",
        "headers": headers,
        "requestContext": request_context,
        "body": json.dumps({"message": "close ticket 7"}),
        **extra,
    }


def _rest_api_event(claims: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway REST API event behind a Cognito user pool authorizer: groups comma-separated,
    the bare token in the Authorization header."""
    flattened = {
        name: ",".join(value) if isinstance(value, list) else value for name, value in claims.items()
    }
    return {
        "resource": "/messages",
        "httpMethod": "POST",
        "headers": {"Authorization": PROVIDER.token(claims)},
        "requestContext": {"requestId": "req-43", "authorizer": {"claims": flattened}},
        "body": "{}",
    }


def test_context_from_api_gateway_http_api_returns_context() -> None:
    """Behind an HTTP API JWT authorizer the token's claims become the context, roles a list."""
    context = context_from_api_gateway(_http_api_event(ALICE))
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))
    assert context.request_id == "req-42"


def test_context_from_api_gateway_rest_cognito_returns_context() -> None:
    """Behind a REST API Cognito authorizer the bare token's claims become the context."""
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
    event = _http_api_event(verified, authorization=f"Bearer {token}")
    assert context_from_api_gateway(event) == direct


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


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({**ALICE, TENANT: None}, "missing_tenant", id="null-tenant"),
        pytest.param({**ALICE, TENANT: 12345}, "invalid_tenant", id="number-tenant"),
        pytest.param({**ALICE, TENANT: True}, "invalid_tenant", id="boolean-tenant"),
        pytest.param({**ALICE, TENANT: ["acme"]}, "invalid_tenant", id="list-tenant"),
        pytest.param({**ALICE, TENANT: "acme\n"}, "invalid_tenant", id="trailing-newline-tenant"),
        pytest.param({**ALICE, "sub": 7}, "invalid_user", id="number-user"),
        pytest.param({**ALICE, GROUPS: ["former supervisor"]}, "invalid_roles", id="group-with-space"),
        pytest.param({**ALICE, GROUPS: ["agent,supervisor"]}, "invalid_roles", id="group-with-comma"),
        pytest.param({**ALICE, GROUPS: "agent supervisor"}, "invalid_roles", id="roles-spaced-string"),
        pytest.param({**ALICE, GROUPS: 1}, "invalid_roles", id="roles-number"),
        pytest.param({**ALICE, GROUPS: {"supervisor": True}}, "invalid_roles", id="roles-object"),
        pytest.param({**ALICE, GROUPS: [True]}, "invalid_roles", id="roles-list-of-boolean"),
    ],
)  # fmt: skip
def test_context_from_api_gateway_claim_of_wrong_type_refused(claims: dict[str, Any], reason: str) -> None:
    """A claim whose JSON type or text is wrong is refused, though its flattened string looks fine."""
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(_http_api_event(claims))
    assert refused.value.reason == reason


def test_context_from_api_gateway_group_with_space_grants_no_role() -> None:
    """The group "former supervisor" (flattened to "[former supervisor]") never grants supervisor."""
    event = _http_api_event({**ALICE, GROUPS: ["former supervisor"]})
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] == "[former supervisor]"
    with pytest.raises(AuthenticationError, match="former supervisor"):
        context_from_api_gateway(event)


def _unsigned(payload: str) -> str:
    """``Bearer <header>.<payload>.<signature>`` whose payload segment encodes ``payload`` as given."""
    segment = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"Bearer eyJhbGciOiJSUzI1NiJ9.{segment}.c2ln"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        pytest.param("", "missing_token", id="empty-header"),
        pytest.param("Bearer ", "missing_token", id="bearer-without-token"),
        pytest.param("Basic YWxpY2U6cw==", "bad_scheme", id="other-scheme"),
        pytest.param("Bearer not-a-jwt", "malformed_token", id="not-a-jwt"),
        pytest.param("Bearer a.b!.c", "malformed_token", id="not-base64url"),
        pytest.param("Bearer e30.e.c2ln", "malformed_token", id="payload-truncated"),
        pytest.param(_unsigned("{not json"), "malformed_token", id="payload-not-json"),
        pytest.param(_unsigned('["acme"]'), "malformed_token", id="payload-not-object"),
        pytest.param(_unsigned("[" * 100_000 + "]" * 100_000), "malformed_token", id="payload-deeply-nested"),
        pytest.param(_unsigned("\xff"), "malformed_token", id="payload-not-utf8-json"),
    ],
)  # fmt: skip
def test_context_from_api_gateway_token_missing_or_undecodable_refused(
    authorization: str, reason: str
) -> None:
    """Verified claims without a decodable token in the header are refused, never used instead."""
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(_http_api_event(ALICE, authorization=authorization))
    assert refused.value.reason == reason


def test_context_from_api_gateway_no_authorization_header_refused() -> None:
    """Authorizer claims with no Authorization header at all are refused, naming the identity source."""
    event = _http_api_event(ALICE)
    del event["headers"]["authorization"]
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(event)
    assert refused.value.reason == "missing_token"
    assert "$request.header.Authorization" in str(refused.value)


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({**ALICE, TENANT: "globex"}, id="other-tenant"),
        pytest.param({**ALICE, "sub": "mallory"}, id="other-user"),
        pytest.param({**ALICE, GROUPS: ["agent", "supervisor", "admin"]}, id="extra-role"),
        pytest.param(identity_claims("globex", "mallory", ["admin"]), id="everything"),
    ],
)
@pytest.mark.parametrize(
    "signer", [pytest.param("attacker", id="attacker-key"), pytest.param("none", id="alg-none")]
)
def test_context_from_api_gateway_other_token_than_verified_refused(
    attacker: TokenIssuer, forged: dict[str, Any], signer: str
) -> None:
    """A token in the header that is not the one the authorizer verified is refused (token_mismatch)."""
    token = attacker.bearer(forged) if signer == "attacker" else PROVIDER.bearer(forged, alg="none")
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(_http_api_event(ALICE, authorization=token))
    assert refused.value.reason == "token_mismatch"


def test_context_from_api_gateway_fewer_roles_than_verified_accepted() -> None:
    """The roles are the token's: the authorizer's copy may only confirm them, never add any."""
    event = _http_api_event(ALICE, authorization=PROVIDER.bearer({**ALICE, GROUPS: ["agent"]}))
    assert context_from_api_gateway(event).roles == ("agent",)


@pytest.mark.parametrize(
    ("groups", "roles"),
    [
        pytest.param("supervisor", ("supervisor",), id="one-group-as-string"),
        pytest.param([], (), id="no-group"),
        pytest.param(None, (), id="null-groups"),
    ],
)
def test_context_from_api_gateway_typed_roles_accepted(groups: Any, roles: tuple[str, ...]) -> None:
    """One string naming one group, an empty list or null are read with their types."""
    assert context_from_api_gateway(_http_api_event({**ALICE, GROUPS: groups})).roles == roles


def test_context_from_api_gateway_bare_token_accepted() -> None:
    """The authorizer accepts a token without the Bearer prefix, and so does the API."""
    event = _http_api_event(ALICE, authorization=PROVIDER.token(ALICE))
    assert context_from_api_gateway(event).tenant_id == "acme"
