"""The gate routes a valid proposal by risk, honours the rollout flags and explains every denial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from governed_assistant.contracts import GateOutcome, MalformedProposal
from governed_assistant.runtime.gate import GateFlags, InMemoryOwners, OwnerLookupError
from governed_assistant.spec.model import Action

from tests.runtime.gate.gate_harness import REFUND, Gate, proposal


def test_evaluate_low_risk_own_resource_allows(gate: Gate) -> None:
    """A valid low-risk proposal on the tenant's own resource is allowed by the role's permit."""
    decision = gate.decide(proposal())
    assert (decision.outcome, decision.risk, decision.reasons) == ("allow", 0.2, ())
    assert decision.policies == ("agent-actions",)
    assert decision.security_event is False


def test_evaluate_risk_at_approval_threshold_approves(gate: Gate) -> None:
    """A refund (base risk 0.6) is at or above the approval threshold 0.5: it waits for a human."""
    decision = gate.decide(proposal("issue_refund", "inv-acme", parameters=REFUND))
    assert (decision.outcome, decision.risk, decision.reason_codes) == (
        "approve",
        0.6,
        ("approval_required",),
    )


@pytest.mark.parametrize(
    ("hook_value", "risk", "outcome"),
    [
        pytest.param(0.95, 0.95, "deny", id="raised-to-deny"),
        pytest.param(0.7, 0.7, "approve", id="raised-to-approval"),
        pytest.param(0.0, 0.2, "allow", id="never-lowered"),
        pytest.param(7.0, 1.0, "deny", id="clamped-high"),
        pytest.param(-3, 0.2, "allow", id="clamped-low"),
    ],
)
def test_evaluate_risk_hook_raises_never_lowers(
    gate: Gate, hook_value: float, risk: float, outcome: str
) -> None:
    """The hook's score raises the base risk (max), clamped to [0, 1], and routes the outcome."""
    decision = gate.but(risk_hooks={"update_ticket_status": lambda _parameters: hook_value}).decide(
        proposal()
    )
    assert (decision.risk, decision.outcome) == (risk, outcome)


def test_evaluate_risk_hook_receives_validated_parameters(gate: Gate) -> None:
    """The hook sees the validated parameters, optional ones filled with None."""
    seen: list[Mapping[str, Any]] = []
    gate.but(risk_hooks={"update_ticket_status": lambda p: seen.append(p) or 0.0}).decide(proposal())
    assert seen == [{"status": "solved", "note": None}]


def test_evaluate_refund_amount_hook_routes_large_refund_to_deny(gate: Gate) -> None:
    """A per-action hook can make a large refund riskier than its base risk."""
    hooks = {"issue_refund": lambda p: p["amount"] / 5000}
    small = gate.but(risk_hooks=hooks).decide(proposal("issue_refund", "inv-acme", parameters=REFUND))
    large = gate.but(risk_hooks=hooks).decide(
        proposal("issue_refund", "inv-acme", parameters={**REFUND, "amount": 4800})
    )
    assert (small.outcome, large.outcome) == ("approve", "deny")
    assert large.reason_codes == ("risk_too_high",)


@pytest.mark.parametrize(
    "hook",
    [
        pytest.param(lambda _p: 1 / 0, id="raises"),
        pytest.param(lambda _p: float("nan"), id="nan"),
        pytest.param(lambda _p: "0.1", id="not-a-number"),
        pytest.param(lambda _p: True, id="bool"),
    ],
)
def test_evaluate_broken_risk_hook_denies(gate: Gate, hook: Any) -> None:
    """A hook that fails or returns no number cannot vouch for the proposal: deny with the reason."""
    decision = gate.but(risk_hooks={"update_ticket_status": hook}).decide(proposal())
    assert (decision.outcome, decision.reason_codes) == ("deny", ("risk_hook_failed",))


@pytest.mark.parametrize(
    ("flags", "candidate", "outcome", "last_code"),
    [
        pytest.param(GateFlags(shadow=True), proposal(), "shadow", "shadow_mode", id="shadow-allow"),
        pytest.param(
            GateFlags(shadow=True),
            proposal("issue_refund", "inv-acme", parameters=REFUND),
            "shadow",
            "shadow_mode",
            id="shadow-approve",
        ),
        pytest.param(
            GateFlags(shadow=True), proposal(tenant="globex"), "deny", "tenant_mismatch", id="shadow-deny"
        ),
        pytest.param(GateFlags(kill_switch=True), proposal(), "deny", "kill_switch", id="kill-switch"),
        pytest.param(
            GateFlags(kill_switch=True, shadow=True), proposal(), "deny", "kill_switch", id="kill-switch-wins"
        ),
    ],
)
def test_evaluate_rollout_flags_change_outcome(
    gate: Gate, flags: GateFlags, candidate: Any, outcome: GateOutcome, last_code: str
) -> None:
    """Shadow records allow/approve as shadow, denials stay deny; the kill switch denies everything."""
    decision = gate.but(flags=flags).decide(candidate)
    assert decision.outcome == outcome
    assert decision.reason_codes[-1] == last_code
    assert len(decision.reasons) == len(decision.reason_codes)


def test_evaluate_shadow_reason_names_would_be_outcome(gate: Gate) -> None:
    """In shadow mode the reason says what the decision would have been."""
    decision = gate.but(flags=GateFlags(shadow=True)).decide(
        proposal("issue_refund", "inv-acme", parameters=REFUND)
    )
    assert decision.reasons[-1].endswith("the decision would be approve")


def test_evaluate_unknown_owner_denies(gate: Gate) -> None:
    """A resource nobody is known to own is refused (fail closed), without a security event."""
    decision = gate.decide(proposal(resource="t-404"))
    assert (decision.outcome, decision.reason_codes, decision.security_event) == (
        "deny",
        ("unknown_resource_owner",),
        False,
    )


class _FailingOwners:
    def owner_of(self, action: Action, resource_id: str) -> str | None:
        raise OwnerLookupError(f"tickets service unreachable, resource_id={resource_id}")


def test_evaluate_owner_lookup_failure_denies(gate: Gate) -> None:
    """A lookup that raises denies with its message; the error does not escape the gate."""
    decision = gate.but(owners=_FailingOwners()).decide(proposal())
    assert decision.reason_codes == ("owner_lookup_failed",)
    assert "tickets service unreachable" in decision.reasons[0]


def test_evaluate_several_failures_collects_every_reason(gate: Gate) -> None:
    """Checks do not stop at the first failure: each one adds its reason, in order."""
    decision = gate.but(owners=InMemoryOwners()).decide(
        proposal(tenant="globex", parameters={"status": "archived"})
    )
    assert decision.reason_codes == ("invalid_parameters", "tenant_mismatch", "unknown_resource_owner")
    assert decision.security_event is True


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param({}, id="empty"),
        pytest.param({"actionType": "update_ticket_status"}, id="partial"),
        pytest.param(
            {
                "actionType": "update_ticket_status",
                "resourceId": "t-acme",
                "tenantId": "acme",
                "parameters": [],
            },
            id="parameters-list",
        ),
        pytest.param(
            {
                "actionType": "update_ticket_status",
                "resourceId": "t-acme",
                "tenantId": "acme",
                "parameters": {"status": "solved"},
                "approved": True,
            },
            id="extra-field",
        ),
        pytest.param(
            MalformedProposal(
                tool_name="'close'", problem="missing_field at toolUse.input.tenantId"
            ).model_dump(by_alias=True),
            id="malformed-proposal-from-reason",
        ),
        pytest.param(
            {**proposal().model_dump(by_alias=True), "malformed": True}, id="malformed-marked-proposal"
        ),
        pytest.param(
            {**proposal().model_dump(by_alias=True), "malformed": False}, id="malformed-false-extra"
        ),
    ],
)
def test_evaluate_malformed_proposal_mapping_denies(gate: Gate, candidate: dict[str, Any]) -> None:
    """A proposal that is not an ActionProposal (as from a Step Functions event) is denied, not raised."""
    decision = gate.decide(candidate)
    assert (decision.outcome, decision.reason_codes, decision.risk) == ("deny", ("malformed_proposal",), 1.0)


def test_evaluate_wire_form_mapping_is_accepted(gate: Gate) -> None:
    """The camelCase wire form of a valid proposal is decided like the model itself."""
    wire = proposal().model_dump(by_alias=True)
    assert gate.decide(wire) == gate.decide(proposal())


def test_gate_decision_wire_form_carries_codes_and_security_event(gate: Gate) -> None:
    """On the wire the decision is camelCase, with reasonCodes and securityEvent for telemetry."""
    wire = gate.decide(proposal(tenant="globex")).model_dump(by_alias=True)
    assert wire["reasonCodes"] == ["tenant_mismatch"] or wire["reasonCodes"] == ("tenant_mismatch",)
    assert wire["securityEvent"] is True


def test_evaluate_malformed_proposal_from_reason_carries_the_parser_problem(gate: Gate) -> None:
    """The gate's reason for a MalformedProposal names the tool and the parser's problem, where and what."""
    problem = "invalid_value at toolUse.input.resourceId: resourceId must be 1 to 256 printable characters"
    malformed = MalformedProposal(tool_name="'update_ticket_status'", problem=problem)
    decision = gate.decide(malformed.model_dump(by_alias=True))
    (reason,) = decision.reasons
    assert reason.startswith("malformed_proposal: the model's tool use name='update_ticket_status'")
    assert reason.endswith(problem)
    assert decision.security_event is False
