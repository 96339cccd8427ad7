"""The attack table: every attempt to cross a tenant or escalate is denied, with the reason that stops it."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.contracts import ActionProposal, TenantContext
from governed_assistant.runtime.actions import ProposalError, malformed_proposal, parse_tool_use
from governed_assistant.runtime.gate import CedarAuthorizer, GateFlags

from tests.runtime.gate.gate_harness import REFUND, SPEC, STARTER_POLICIES, Gate, proposal

_PERMIT_EVERYTHING = """
@id("attacker-permit-all")
permit (principal, action, resource);
"""
_PERMIT_CROSS_TENANT = """
@id("attacker-cross-tenant")
permit (principal, action, resource) when { resource.tenant != principal.tenant };
"""


def _wire(**changes: Any) -> dict[str, Any]:
    """The honest proposal's wire form (as the gate receives it from the state machine), changed."""
    return {**proposal().model_dump(by_alias=True), **changes}


def _malformed(tool_input: dict[str, Any]) -> dict[str, Any]:
    """What the reason step hands the gate for a tool use with this input that does not parse."""
    try:
        parse_tool_use({**_TOOL_USE, "input": tool_input})
    except ProposalError as error:
        return malformed_proposal(_TOOL_USE["name"], tool_input, error).model_dump(by_alias=True)
    raise AssertionError(f"the tool use parses; an attack case needs one that does not: {tool_input}")


_TOOL_USE: dict[str, Any] = {
    "toolUseId": "tooluse_1",
    "name": "issue_refund",
    "input": {"resourceId": "inv-acme", "tenantId": "globex", "parameters": REFUND},
}


@pytest.mark.parametrize(
    ("attack", "changes", "code", "security_event"),
    [
        pytest.param(proposal(tenant="globex"), {}, "tenant_mismatch", True, id="other-tenant-id"),
        pytest.param(proposal(tenant="ACME"), {}, "tenant_mismatch", True, id="tenant-id-case-variant"),
        pytest.param(_wire(tenantId=""), {}, "tenant_mismatch", True, id="empty-tenant-id"),
        pytest.param(_wire(tenantId=42), {}, "tenant_mismatch", True, id="tenant-id-not-a-string"),
        pytest.param(_wire(tenantId=["globex"]), {}, "tenant_mismatch", True, id="tenant-id-list"),
        pytest.param(
            _wire(tenantId="globex", resourceId="t-acme\x00"),
            {},
            "tenant_mismatch",
            True,
            id="malformed-and-other-tenant-id",
        ),
        pytest.param(
            _wire(resourceId="t-acme\n", parameters={"filter": {"tenantId": "globex"}}),
            {},
            "tenant_mismatch",
            True,
            id="malformed-and-nested-other-tenant",
        ),
        pytest.param(_wire(tenant="globex"), {}, "tenant_mismatch", True, id="extra-top-level-tenant-key"),
        pytest.param(
            _malformed({**_TOOL_USE["input"], "resourceId": "inv-acme\x00"}),
            {},
            "tenant_mismatch",
            True,
            id="malformed-tool-use-other-tenant",
        ),
        pytest.param(
            _malformed(
                {
                    "resourceId": "t-acme\u2028",
                    "tenantId": "acme",
                    "parameters": {"x": [{"tenant_id": "globex"}]},
                }
            ),
            {},
            "tenant_mismatch",
            True,
            id="malformed-tool-use-nested-other-tenant",
        ),
        pytest.param(_wire(resourceId="t-acme\x00"), {}, "malformed_proposal", False, id="resource-id-nul"),
        pytest.param(
            _wire(resourceId="t-acme\nt-globex"), {}, "malformed_proposal", False, id="resource-id-newline"
        ),
        pytest.param(_wire(resourceId="t-\tacme"), {}, "malformed_proposal", False, id="resource-id-tab"),
        pytest.param(
            _wire(resourceId="t-acme\u2028"),
            {},
            "malformed_proposal",
            False,
            id="resource-id-unicode-line-separator",
        ),
        pytest.param(
            _wire(resourceId="t-acme" + "x" * 251),
            {},
            "malformed_proposal",
            False,
            id="resource-id-over-long",
        ),
        pytest.param(
            ActionProposal.model_construct(**{**proposal().__dict__, "resource_id": "t-acme\x00"}),
            {},
            "malformed_proposal",
            False,
            id="constructed-proposal-skips-validators",
        ),
        pytest.param(
            _wire(actionType="update_ticket_status\n"),
            {},
            "malformed_proposal",
            False,
            id="action-type-trailing-newline",
        ),
        pytest.param(parse_tool_use(_TOOL_USE), {}, "tenant_mismatch", True, id="tool-use-other-tenant"),
        pytest.param(
            proposal(resource="t-globex"), {}, "resource_other_tenant", True, id="other-tenant-resource"
        ),
        pytest.param(
            proposal("issue_refund", "inv-globex", parameters=REFUND),
            {},
            "resource_other_tenant",
            True,
            id="refund-other-tenant-invoice",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "tenantId": "globex"}),
            {},
            "tenant_mismatch",
            True,
            id="tenant-injected-into-parameters",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "filter": {"tenant_id": "globex"}}),
            {},
            "tenant_mismatch",
            True,
            id="tenant-nested-depth-two",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "a": {"b": {"c": {"targetTenant": "globex"}}}}),
            {},
            "tenant_mismatch",
            True,
            id="tenant-nested-depth-four",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "items": [{"meta": {"TENANT-ID": "globex"}}]}),
            {},
            "tenant_mismatch",
            True,
            id="tenant-nested-in-list",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "tenants": ["acme", "globex"]}),
            {},
            "tenant_mismatch",
            True,
            id="tenant-list-value-names-another",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "tenant": {"id": "globex"}}),
            {},
            "tenant_mismatch",
            True,
            id="tenant-object-value-names-another",
        ),
        pytest.param(
            proposal(
                "issue_refund",
                "inv-acme",
                parameters={**REFUND, "meta": [[{"owner": {"tenantId": "globex"}}]]},
            ),
            {},
            "tenant_mismatch",
            True,
            id="tenant-nested-in-list-of-lists",
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "filter": {"tenantId": "acme"}}),
            {},
            "invalid_parameters",
            False,
            id="own-tenant-nested-is-no-security-event",
        ),
        pytest.param(
            proposal(),
            {"context": TenantContext(tenant_id="acme", user_id="carol", roles=("admin",), request_id="r")},
            "not_authorized",
            False,
            id="role-not-allowed-by-policy",
        ),
        pytest.param(
            proposal(),
            {"context": TenantContext(tenant_id="acme", user_id="eve", roles=(), request_id="r")},
            "not_authorized",
            False,
            id="no-roles",
        ),
        pytest.param(
            proposal(),
            {
                "context": TenantContext(
                    tenant_id="acme", user_id="eve", roles=("root", "Agent"), request_id="r"
                )
            },
            "not_authorized",
            False,
            id="made-up-roles",
        ),
        pytest.param(
            proposal("delete_tenant", parameters={}), {}, "unknown_action", False, id="unknown-action"
        ),
        pytest.param(
            proposal(), {"flags": GateFlags(kill_switch=True)}, "kill_switch", False, id="kill-switch-on"
        ),
        pytest.param(
            proposal(parameters={"status": "solved", "priority": "urgent"}),
            {},
            "invalid_parameters",
            False,
            id="extra-parameter",
        ),
        pytest.param(
            proposal("issue_refund", "inv-acme", parameters={**REFUND, "amount": "25"}),
            {},
            "invalid_parameters",
            False,
            id="wrong-type",
        ),
        pytest.param(
            proposal("issue_refund", "inv-acme", parameters={**REFUND, "amount": 1e9}),
            {},
            "invalid_parameters",
            False,
            id="refund-above-maximum",
        ),
        pytest.param(
            proposal(resource="t-globex"),
            {"authorizer": CedarAuthorizer(SPEC, STARTER_POLICIES + _PERMIT_CROSS_TENANT)},
            "not_authorized",
            True,
            id="policy-permits-cross-tenant",
        ),
        pytest.param(
            proposal(resource="t-globex"),
            {
                "authorizer": CedarAuthorizer(SPEC, _PERMIT_EVERYTHING),
                "context": TenantContext(tenant_id="acme", user_id="eve", roles=(), request_id="r"),
            },
            "not_authorized",
            True,
            id="policy-permits-everything",
        ),
        pytest.param(
            proposal("issue_refund", "inv-acme", parameters=REFUND),
            {"risk_hooks": {"issue_refund": lambda _p: 0.0}},
            "approval_required",
            False,
            id="hook-cannot-skip-approval",
        ),
    ],
)
def test_evaluate_attack_is_refused(
    gate: Gate, attack: Any, changes: dict[str, Any], code: str, security_event: bool
) -> None:
    """Each attack ends in deny (or, for approval, never in allow) with the reason code that stops it."""
    decision = gate.but(**changes).decide(attack)
    assert decision.outcome == ("approve" if code == "approval_required" else "deny"), decision.reasons
    assert code in decision.reason_codes, decision.reasons
    assert decision.security_event is security_event
    if code == "not_authorized" and security_event:
        assert "tenant-guard" in decision.policies


def test_evaluate_attack_baseline_is_allowed(gate: Gate) -> None:
    """The same gate allows the honest proposal, so each attack above fails for its own reason."""
    assert gate.decide(proposal()).outcome == "allow"
    assert (
        gate.but(authorizer=CedarAuthorizer(SPEC, _PERMIT_EVERYTHING)).decide(proposal()).outcome == "allow"
    )
    assert gate.decide(proposal()).policies == ("agent-actions",)
