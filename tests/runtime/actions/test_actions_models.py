"""An action's parameters model is closed and strict: nothing the schema does not allow validates."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.runtime.actions import ProposalError, action_catalog, parameters_model
from governed_assistant.spec import AssistantSpec

REFUND = {"amount": 25.5, "currency": "EUR", "reason": "duplicate charge"}


@pytest.mark.parametrize(
    ("action", "parameters"),
    [
        pytest.param("issue_refund", REFUND, id="refund"),
        pytest.param("issue_refund", {**REFUND, "amount": 10000}, id="refund-integer-at-maximum"),
        pytest.param("update_ticket_status", {"status": "solved"}, id="optional-left-out"),
        pytest.param("update_ticket_status", {"status": "solved", "note": None}, id="optional-null"),
        pytest.param("get_customer_config", {"sections": ["plan", "limits"]}, id="array-of-enum"),
    ],
)
def test_validate_valid_parameters_returns_model(
    spec: AssistantSpec, action: str, parameters: dict[str, Any]
) -> None:
    """Parameters the schema allows validate into the action's model."""
    model = action_catalog(spec)[action].validate(parameters)
    assert type(model).__name__ == "".join(part.capitalize() for part in action.split("_")) + "Parameters"


@pytest.mark.parametrize(
    ("action", "parameters", "location"),
    [
        pytest.param("issue_refund", {**REFUND, "amount": "25"}, "parameters.amount", id="string-for-number"),
        pytest.param("issue_refund", {**REFUND, "amount": True}, "parameters.amount", id="bool-for-number"),
        pytest.param("issue_refund", {**REFUND, "amount": float("nan")}, "parameters.amount", id="nan"),
        pytest.param("issue_refund", {**REFUND, "amount": 0}, "parameters.amount", id="exclusive-minimum"),
        pytest.param("issue_refund", {**REFUND, "amount": 10001}, "parameters.amount", id="above-maximum"),
        pytest.param("issue_refund", {**REFUND, "currency": "JPY"}, "parameters.currency", id="not-in-enum"),
        pytest.param("issue_refund", {**REFUND, "reason": "no"}, "parameters.reason", id="too-short"),
        pytest.param("issue_refund", {"amount": 1, "currency": "USD"}, "parameters.reason", id="missing"),
        pytest.param("issue_refund", {**REFUND, "tenantId": "globex"}, "parameters.tenantId", id="tenant"),
        pytest.param("issue_refund", {**REFUND, "extra": 1}, "parameters.extra", id="extra"),
        pytest.param("update_ticket_status", {"status": None}, "parameters.status", id="required-null"),
        pytest.param("get_customer_config", {"sections": []}, "parameters.sections", id="min-items"),
        pytest.param(
            "get_customer_config", {"sections": ["plan", "secrets"]}, "parameters.sections[1]", id="bad-item"
        ),
        pytest.param("get_customer_config", {"sections": "plan"}, "parameters.sections", id="str-for-list"),
    ],
)
def test_validate_invalid_parameters_raises_proposal_error(
    spec: AssistantSpec, action: str, parameters: dict[str, Any], location: str
) -> None:
    """Parameters outside the schema raise ProposalError(invalid_parameters) at the offending field."""
    with pytest.raises(ProposalError) as raised:
        action_catalog(spec)[action].validate(parameters)
    assert raised.value.reason == "invalid_parameters"
    assert raised.value.location == location
    assert f"action={action}" in str(raised.value)


def test_validate_not_a_mapping_raises_wrong_type(spec: AssistantSpec) -> None:
    """Parameters that are not an object are refused before any field is read."""
    with pytest.raises(ProposalError) as raised:
        action_catalog(spec)["issue_refund"].validate(["amount", 5])
    assert (raised.value.reason, raised.value.location) == ("wrong_type", "parameters")


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        pytest.param({"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"}, "2026-Q3", "2026-Q5", id="pattern"),
        pytest.param({"type": "string", "pattern": "[0-9]"}, "a1b", "abc", id="pattern-searched"),
        pytest.param({"type": "string", "format": "date"}, "2026-01-31", "31/01/2026", id="date"),
        pytest.param(
            {"type": "string", "format": "uuid"}, "6f1c0f8e-0000-4000-8000-000000000000", "x", id="uuid"
        ),
        pytest.param({"type": "string", "format": "email"}, "a@b.io", "a@b", id="email"),
        pytest.param({"type": "integer", "minimum": 1}, 1, 1.5, id="integer-not-float"),
        pytest.param({"type": "boolean"}, False, 0, id="bool-not-int"),
        pytest.param({"type": "integer", "enum": [1, 2]}, 1, True, id="int-enum-not-bool"),
        pytest.param({"type": "integer", "enum": [1, 2]}, 2, 1.0, id="int-enum-not-float"),
        pytest.param({"type": "boolean", "enum": [True]}, True, 1, id="bool-enum-not-int"),
        pytest.param({"type": "string", "enum": ["1"]}, "1", 1, id="str-enum-not-int"),
        pytest.param(
            {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
            {"n": 1},
            {"n": 1, "m": 2},
            id="nested-closed",
        ),
    ],
)
def test_parameters_model_schema_keyword_enforced(schema: dict[str, Any], good: Any, bad: Any) -> None:
    """Each supported keyword is enforced: the good value validates, the bad one does not."""
    model = parameters_model("probe", {"type": "object", "properties": {"v": schema}, "required": ["v"]})
    model.model_validate({"v": good})
    with pytest.raises(ValueError, match="v"):
        model.model_validate({"v": bad})
