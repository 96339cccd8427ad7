"""The API Gateway adapter: routes, the payload 2.0 event, and the function's result read back."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from governed_assistant.local.api_gateway import match_route, proxy_event, proxy_response
from governed_assistant.runtime.identity import AuthenticationError, context_from_api_gateway
from governed_assistant.testing import TokenIssuer
from governed_assistant.wire import ROUTES

CLAIMS = {
    "custom:tenantId": "acme",
    "sub": "alice",
    "cognito:groups": ["agent", "supervisor"],
    "exp": 1700000000,
}
ISSUER = TokenIssuer()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        pytest.param("POST", "/messages", ("POST /messages", {}), id="messages"),
        pytest.param("GET", "/jobs/j-1", ("GET /jobs/{id}", {"id": "j-1"}), id="job"),
        pytest.param("GET", "/jobs/j-1/events", ("GET /jobs/{id}/events", {"id": "j-1"}), id="events"),
        pytest.param("POST", "/approvals/a-9", ("POST /approvals/{id}", {"id": "a-9"}), id="decide"),
        pytest.param("GET", "/messages", None, id="wrong-method"),
        pytest.param("GET", "/jobs/a/b", None, id="unknown-path"),
    ],
)
def test_match_route_path_gives_route_key_and_parameters(
    method: str, path: str, expected: tuple[str, dict[str, str]] | None
) -> None:
    """Each request finds its route of the conversation layer, or none."""
    assert match_route(method, path) == expected


def test_match_route_every_conversation_route_is_served() -> None:
    """Every route the deployed API has is matched locally too."""
    for route_key in ROUTES:
        method, template = route_key.split(" ", 1)
        assert match_route(method, template.replace("{id}", "x1")) is not None


def _event(
    body: bytes = b'{"message": "hi", "tenantId": "globex"}',
    query: str = "",
    claims: dict[str, Any] = CLAIMS,
) -> dict[str, Any]:
    """The event for a request whose token (in its Authorization header) the gateway verified."""
    return proxy_event(
        method="POST",
        path="/messages",
        query=query,
        headers=[
            ("Authorization", ISSUER.bearer(claims)),
            ("Content-Type", "application/json"),
            ("X-Tenant-Id", "globex"),
            ("Accept", "a"),
            ("accept", "b"),
        ],
        body=body,
        claims=claims,
        route_key="POST /messages",
        path_parameters={},
        request_id="req-1",
    )


def test_proxy_event_has_the_v2_shape_with_flattened_claims() -> None:
    """The event is payload format 2.0, its claims flattened to strings as the JWT authorizer does."""
    event = _event(query="a=1&a=2&b=")
    assert event["version"] == "2.0" and event["routeKey"] == "POST /messages"
    assert event["isBase64Encoded"] is False and event["body"] == '{"message": "hi", "tenantId": "globex"}'
    assert event["headers"]["accept"] == "a,b"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    context = event["requestContext"]
    assert context["authorizer"]["jwt"]["claims"] == {
        "custom:tenantId": "acme",
        "sub": "alice",
        "cognito:groups": "[agent supervisor]",
        "exp": "1700000000",
    }
    assert context["http"]["method"] == "POST" and context["requestId"] == "req-1"


def test_proxy_event_tenant_comes_only_from_the_claims() -> None:
    """The runtime reads the token's tenant from the event; the body's and a header's are ignored."""
    context = context_from_api_gateway(_event())
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))


@pytest.mark.parametrize(
    ("claims", "flattened", "reason"),
    [
        pytest.param({**CLAIMS, "custom:tenantId": 12345}, "12345", "invalid_tenant", id="number-tenant"),
        pytest.param({**CLAIMS, "custom:tenantId": None}, "None", "missing_tenant", id="null-tenant"),
        pytest.param({**CLAIMS, "custom:tenantId": True}, "true", "invalid_tenant", id="boolean-tenant"),
        pytest.param(
            {**CLAIMS, "cognito:groups": ["former supervisor"]},
            "[former supervisor]",
            "invalid_roles",
            id="group-with-space",
        ),
    ],
)
def test_proxy_event_flattened_claim_is_read_typed_and_refused(
    claims: dict[str, Any], flattened: str, reason: str
) -> None:
    """The gateway flattens a claim to a harmless-looking string; the runtime reads its type and refuses."""
    event = _event(claims=claims)
    flat = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert flattened in flat.values()
    with pytest.raises(AuthenticationError) as refused:
        context_from_api_gateway(event)
    assert refused.value.reason == reason


def test_proxy_event_binary_body_is_base64() -> None:
    """A body that is not UTF-8 travels base64-encoded, flagged as such."""
    event = _event(body=b"\xff\x00")
    assert event["isBase64Encoded"] is True and base64.b64decode(str(event["body"])) == b"\xff\x00"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(
            {"statusCode": 202, "headers": {"X-A": "1"}, "body": '{"ok":true}'},
            (202, {"x-a": "1", "content-type": "application/json"}, b'{"ok":true}'),
            id="full",
        ),
        pytest.param(
            {"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True},
            (200, {"content-type": "application/json"}, b"\x01"),
            id="base64",
        ),
        pytest.param(
            {"jobId": "j"}, (200, {"content-type": "application/json"}, b'{"jobId": "j"}'), id="shorthand"
        ),
    ],
)
def test_proxy_response_result_becomes_status_headers_body(
    result: object, expected: tuple[int, dict[str, str], bytes]
) -> None:
    """The function's result is read as API Gateway reads payload format 2.0."""
    assert proxy_response(result) == expected


def test_proxy_response_shorthand_is_json() -> None:
    """A bare result is a JSON body."""
    assert json.loads(proxy_response(["a"])[2]) == ["a"]
