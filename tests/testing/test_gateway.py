"""The API Gateway test helpers: the event an HTTP API's JWT authorizer hands over, and who that is."""

from __future__ import annotations

import pytest
from governed_assistant.runtime.identity import AuthenticationError
from governed_assistant.testing import TokenIssuer, api_gateway_context, http_api_event, identity_claims

ALICE = identity_claims("acme", "alice", ["agent", "supervisor"])


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer()


def test_http_api_event_flattens_claims_and_carries_the_token(issuer: TokenIssuer) -> None:
    """The event holds the claims as strings, the way HTTP APIs flatten them, and the header as sent."""
    bearer = issuer.bearer(ALICE)
    event = http_api_event(bearer, body={"message": "hi"})
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["cognito:groups"] == "[agent supervisor]"
    assert all(isinstance(value, str) for value in claims.values())
    assert (event["headers"]["authorization"], event["body"]) == (bearer, '{"message": "hi"}')


@pytest.mark.parametrize(
    "authorization",
    [pytest.param("bearer", id="bearer-prefix"), pytest.param("bare", id="bare-token")],
)
def test_api_gateway_context_well_formed_token_returns_context(
    issuer: TokenIssuer, authorization: str
) -> None:
    """A well-formed token, with or without the Bearer prefix, gives its tenant, user and roles."""
    header = issuer.bearer(ALICE) if authorization == "bearer" else issuer.token(ALICE)
    context = api_gateway_context(header)
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))


def test_api_gateway_context_number_tenant_refused(issuer: TokenIssuer) -> None:
    """A tenant claim that is a number is refused, though API Gateway would pass it on as "12345"."""
    with pytest.raises(AuthenticationError) as refused:
        api_gateway_context(issuer.bearer({**ALICE, "custom:tenantId": 12345}))
    assert refused.value.reason == "invalid_tenant"
