# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Who is asking: a token's tenant, user and roles are read with their JSON types, or refused.

Each case runs both ways a request is identified: behind API Gateway (its JWT authorizer
verified the token and hands on claims flattened to strings; the API reads the typed claims
from that token) and by direct verification (the local stack). Tokens are real RS256 JWTs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from governed_assistant import AssistantSpec, GovernanceError, TenantContext
from governed_assistant.testing import TokenIssuer, api_gateway_context, identity_claims

Identify = Callable[[str], TenantContext]


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer()


@pytest.fixture(params=["api-gateway", "verifier"])
def identify(request: pytest.FixtureRequest, issuer: TokenIssuer, spec: AssistantSpec) -> Identify:
    """Who the assistant takes the sender of an Authorization header value to be."""
    names = spec.identity.claims
    if request.param == "api-gateway":
        return lambda authorization: api_gateway_context(authorization, names)
    return issuer.verifier(names).verify


def _claims(spec: AssistantSpec, **changes: Any) -> dict[str, Any]:
    """A well-formed user of tenant "acme" with the spec's first role; ``tenant``, ``user`` and
    ``roles`` replace that claim's value (under the spec's claim names)."""
    names = spec.identity.claims
    claims = identity_claims("acme", "alice", [next(iter(spec.roles))], claims_config=names)
    for field, value in changes.items():
        claims[getattr(names, field)] = value
    return claims


def test_identity_well_formed_token_accepted(
    spec: AssistantSpec, issuer: TokenIssuer, identify: Identify
) -> None:
    """A token with a tenant id, a user id and a list of the spec's roles is who it says."""
    role = next(iter(spec.roles))
    context = identify(issuer.bearer(_claims(spec)))
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", (role,))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"tenant": None}, "missing_tenant", id="null-tenant"),
        pytest.param({"tenant": 12345}, "invalid_tenant", id="number-tenant"),
        pytest.param({"tenant": True}, "invalid_tenant", id="boolean-tenant"),
        pytest.param({"tenant": "acme\n"}, "invalid_tenant", id="tenant-with-trailing-newline"),
        pytest.param({"roles": ["former supervisor"]}, "invalid_roles", id="group-with-space"),
        pytest.param({"roles": ["agent,supervisor"]}, "invalid_roles", id="group-with-comma"),
        pytest.param({"roles": 7}, "invalid_roles", id="roles-number"),
        pytest.param({"roles": {"admin": True}}, "invalid_roles", id="roles-object"),
        pytest.param({"roles": [True]}, "invalid_roles", id="roles-list-of-boolean"),
    ],
)
def test_identity_malformed_claim_refused(
    spec: AssistantSpec, issuer: TokenIssuer, identify: Identify, changes: dict[str, Any], reason: str
) -> None:
    """A claim of the wrong JSON type, or a group that is not one role name, is refused (401)."""
    with pytest.raises(GovernanceError, match=rf"\(reason={reason}\)$"):
        identify(issuer.bearer(_claims(spec, **changes)))
