"""The Cedar authorizer refuses invalid policies at construction and always carries the tenant guard."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant.authz import TENANT_GUARD_POLICY, starter_policy
from governed_assistant.runtime.gate import AuthorizationRequest, CedarAuthorizer, PolicyValidationError

from tests.runtime.gate.gate_harness import ALICE, SPEC, STARTER_POLICIES

TICKET = SPEC.action("update_ticket_status")


@pytest.mark.parametrize(
    ("policies", "fragment"),
    [
        pytest.param(
            'permit (principal, action == Action::"wire_money", resource);', "wire_money", id="action"
        ),
        pytest.param(
            "permit (principal, action, resource) when { resource.owner == 1 };", "owner", id="attr"
        ),
        pytest.param("permit (principal, action, resource", "unexpected", id="syntax"),
        pytest.param(
            '@id("tenant-guard")\npermit (principal, action, resource);', "reserved", id="guard-id-taken"
        ),
    ],
)
def test_cedar_authorizer_invalid_policies_refuses_to_build(policies: str, fragment: str) -> None:
    """Policies that do not parse or type-check raise PolicyValidationError listing each problem."""
    with pytest.raises(PolicyValidationError) as raised:
        CedarAuthorizer(SPEC, policies)
    assert raised.value.problems
    assert fragment in str(raised.value)


def test_cedar_authorizer_text_without_guard_gets_guard() -> None:
    """Policy text assembled without load_policies still ends with the tenant guard."""
    authorizer = CedarAuthorizer(SPEC, STARTER_POLICIES)
    assert authorizer.policies_text.endswith(TENANT_GUARD_POLICY)
    assert authorizer.policies_text.count(TENANT_GUARD_POLICY) == 1


def test_cedar_authorizer_from_directory_reads_cedar_files(tmp_path: Path) -> None:
    """from_directory loads policies/*.cedar with the guard, and decides like the text form."""
    for role in SPEC.roles:
        (tmp_path / f"{role}.cedar").write_text(starter_policy(SPEC, role))
    authorizer = CedarAuthorizer.from_directory(SPEC, tmp_path)
    assert TICKET is not None
    own = authorizer.authorize(AuthorizationRequest(ALICE, TICKET, "t-1", "acme"))
    other = authorizer.authorize(AuthorizationRequest(ALICE, TICKET, "t-1", "globex"))
    assert (own.allowed, own.policies) == (True, ("agent-actions",))
    assert (other.allowed, other.policies) == (False, ("tenant-guard",))


@pytest.mark.parametrize(
    ("user_id", "resource_id"),
    [
        pytest.param('alice" || true', "t-1", id="quote-in-user"),
        pytest.param("alice", 'x"; permit(principal,action,resource);', id="policy-in-resource"),
        pytest.param("alice", "t\u00e9\u2028", id="unicode"),
    ],
)
def test_cedar_authorizer_odd_entity_ids_are_data(user_id: str, resource_id: str) -> None:
    """Entity ids travel as JSON data, never as Cedar text: quotes and odd characters change nothing."""
    context = ALICE.model_copy(update={"user_id": user_id})
    assert TICKET is not None
    result = CedarAuthorizer(SPEC, STARTER_POLICIES).authorize(
        AuthorizationRequest(context, TICKET, resource_id, "acme")
    )
    assert result.allowed and result.errors == ()
