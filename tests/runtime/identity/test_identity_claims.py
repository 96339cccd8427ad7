"""Claims become a TenantContext only when tenant, user and roles are well formed."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.runtime.identity import AuthenticationError, context_from_claims, parse_roles

TENANT = "custom:tenantId"


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        pytest.param(None, (), id="absent"),
        pytest.param([], (), id="empty-list"),
        pytest.param(["agent", "supervisor"], ("agent", "supervisor"), id="list"),
        pytest.param(("agent",), ("agent",), id="tuple"),
        pytest.param("agent", ("agent",), id="one-group-as-string"),
        pytest.param(["support-agent", "tier_2"], ("support-agent", "tier_2"), id="dash-and-underscore"),
        pytest.param(["agent", "agent", "supervisor"], ("agent", "supervisor"), id="duplicates"),
    ],
)
def test_parse_roles_typed_shapes_return_roles(value: Any, roles: tuple[str, ...]) -> None:
    """A list of role names, or one string naming one group, parses to the roles in order."""
    assert parse_roles(value) == roles


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(7, id="number"),
        pytest.param({"admin": True}, id="object"),
        pytest.param(True, id="boolean"),
        pytest.param(["agent", 1], id="list-with-number"),
        pytest.param([["admin"]], id="nested-list"),
        pytest.param([None], id="list-with-null"),
        pytest.param("[1, 2]", id="json-numbers"),
        pytest.param(["agent\nadmin"], id="control-character"),
        pytest.param(["former supervisor"], id="group-with-space"),
        pytest.param(["agent,supervisor"], id="group-with-comma"),
        pytest.param("former supervisor", id="string-with-space"),
        pytest.param("agent,supervisor", id="string-with-comma"),
        pytest.param("[agent supervisor]", id="http-api-flattened-string"),
        pytest.param('["agent","supervisor"]', id="json-array-string"),
        pytest.param(["agent\n"], id="trailing-newline"),
        pytest.param([" agent"], id="padded"),
        pytest.param(["Admins"], id="uppercase"),
        pytest.param([""], id="empty-name"),
        pytest.param("", id="empty-string"),
        pytest.param(["a" * 65], id="too-long"),
    ],
)
def test_parse_roles_not_role_names_refused(value: Any) -> None:
    """A roles claim that is not a list of role names is refused, never split or guessed at."""
    with pytest.raises(AuthenticationError) as refused:
        parse_roles(value, claim="groups")
    assert refused.value.reason == "invalid_roles"
    assert "claim=groups" in str(refused.value)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({"sub": "alice"}, "missing_tenant", id="missing-tenant"),
        pytest.param({TENANT: None, "sub": "alice"}, "missing_tenant", id="null-tenant"),
        pytest.param({TENANT: "", "sub": "alice"}, "invalid_tenant", id="empty-tenant"),
        pytest.param({TENANT: " acme", "sub": "alice"}, "invalid_tenant", id="padded-tenant"),
        pytest.param({TENANT: 42, "sub": "alice"}, "invalid_tenant", id="number-tenant"),
        pytest.param({TENANT: True, "sub": "alice"}, "invalid_tenant", id="boolean-tenant"),
        pytest.param({TENANT: {"id": "acme"}, "sub": "alice"}, "invalid_tenant", id="object-tenant"),
        pytest.param({TENANT: "a" * 129, "sub": "alice"}, "invalid_tenant", id="long-tenant"),
        pytest.param({TENANT: "acme#1", "sub": "alice"}, "invalid_tenant", id="key-separator-tenant"),
        pytest.param({TENANT: "acme\n", "sub": "alice"}, "invalid_tenant", id="trailing-newline-tenant"),
        pytest.param({TENANT: ["acme"], "sub": "alice"}, "invalid_tenant", id="list-tenant"),
        pytest.param({TENANT: "acme"}, "missing_user", id="missing-user"),
        pytest.param({TENANT: "acme", "sub": " "}, "invalid_user", id="blank-user"),
        pytest.param({TENANT: "acme", "sub": 7}, "invalid_user", id="number-user"),
        pytest.param({TENANT: "acme", "sub": "u" * 257}, "invalid_user", id="long-user"),
    ],
)
def test_context_from_claims_bad_identity_refused(claims: dict[str, Any], reason: str) -> None:
    """A missing or malformed tenant or user is refused, naming the claim."""
    with pytest.raises(AuthenticationError) as refused:
        context_from_claims(claims)
    assert refused.value.reason == reason
    assert "claim=" in str(refused.value)


@pytest.mark.parametrize(
    "tenant",
    [
        pytest.param("acme", id="slug"),
        pytest.param("0f8fad5b-d9cb-469f-a165-70867728950e", id="uuid"),
        pytest.param("Acme_Corp.eu-1", id="mixed"),
        pytest.param("t" * 128, id="longest"),
    ],
)
def test_context_from_claims_tenant_ids_accepted(tenant: str) -> None:
    """Ordinary tenant ids - slugs, uuids, dotted names - are accepted unchanged."""
    assert context_from_claims({TENANT: tenant, "sub": "alice"}, request_id="r").tenant_id == tenant
