"""ActionProposal: every rule a proposal must meet lives on the model, so parser and gate share it."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.contracts import ActionProposal
from pydantic import ValidationError

VALID = {"actionType": "issue_refund", "resourceId": "inv-1", "tenantId": "acme", "parameters": {"a": 1}}


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        pytest.param("resourceId", "inv-1\x00", "printable", id="resource-nul"),
        pytest.param("resourceId", "inv-1\nrm -rf", "printable", id="resource-newline"),
        pytest.param("resourceId", "inv-1\r", "printable", id="resource-carriage-return"),
        pytest.param("resourceId", "inv\t1", "printable", id="resource-tab"),
        pytest.param("resourceId", "inv-1\u2028x", "printable", id="resource-unicode-line-separator"),
        pytest.param("resourceId", "inv-1\u2029", "printable", id="resource-unicode-paragraph-separator"),
        pytest.param("resourceId", "inv-1\x85", "printable", id="resource-next-line"),
        pytest.param("resourceId", "inv-1\x1b[2J", "printable", id="resource-escape"),
        pytest.param("resourceId", "inv-1\x7f", "printable", id="resource-delete"),
        pytest.param("resourceId", "inv\u200b1", "printable", id="resource-zero-width-space"),
        pytest.param("resourceId", "", "1 to 256", id="resource-empty"),
        pytest.param("resourceId", "x" * (256 + 1), "1 to 256", id="resource-over-long"),
        pytest.param("resourceId", 7, "valid string", id="resource-integer"),
        pytest.param("resourceId", b"inv-1", "valid string", id="resource-bytes"),
        pytest.param("resourceId", None, "valid string", id="resource-null"),
        pytest.param("tenantId", 42, "valid string", id="tenant-integer"),
        pytest.param("tenantId", None, "valid string", id="tenant-null"),
        pytest.param("tenantId", ["acme"], "valid string", id="tenant-list"),
        pytest.param("tenantId", {"id": "acme"}, "valid string", id="tenant-object"),
        pytest.param("tenantId", "", "1 to 128", id="tenant-empty"),
        pytest.param("tenantId", "acme\x00", "printable", id="tenant-nul"),
        pytest.param("tenantId", "acme\nglobex", "printable", id="tenant-newline"),
        pytest.param("tenantId", "x" * (128 + 1), "1 to 128", id="tenant-over-long"),
        pytest.param("actionType", "a/b", "Bedrock tool name", id="action-type-slash"),
        pytest.param("actionType", "", "Bedrock tool name", id="action-type-empty"),
        pytest.param("actionType", "x" * 65, "Bedrock tool name", id="action-type-over-long"),
        pytest.param("actionType", "refund\n", "Bedrock tool name", id="action-type-trailing-newline"),
        pytest.param("actionType", 7, "valid string", id="action-type-integer"),
        pytest.param("parameters", [1], "valid dictionary", id="parameters-list"),
        pytest.param("parameters", "{}", "valid dictionary", id="parameters-json-text"),
        pytest.param("parameters", {1: "x"}, "valid string", id="parameters-integer-key"),
    ],
)
def test_action_proposal_invalid_field_is_refused(field: str, value: Any, says: str) -> None:
    """A proposal with one bad field does not build; the error names the field and what is wrong."""
    with pytest.raises(ValidationError) as raised:
        ActionProposal.model_validate({**VALID, field: value})
    (problem,) = raised.value.errors()
    assert problem["loc"][0] == field
    assert says in problem["msg"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("resourceId", "x" * 256, id="resource-at-limit"),
        pytest.param("resourceId", "réf-1 (copie)", id="resource-unicode-and-space"),
        pytest.param("tenantId", "x" * 128, id="tenant-at-limit"),
        pytest.param("actionType", "x" * 64, id="action-type-at-limit"),
        pytest.param("parameters", {}, id="parameters-empty"),
    ],
)
def test_action_proposal_edge_value_is_accepted(field: str, value: Any) -> None:
    """Values at the limits, printable unicode and a plain space are within the rules."""
    assert getattr(ActionProposal.model_validate({**VALID, field: value}), _snake(field)) == value


def test_action_proposal_resource_error_says_how_to_fix() -> None:
    """The resource id error says what is wrong, shows the value escaped, and what to send instead."""
    with pytest.raises(ValidationError) as raised:
        ActionProposal.model_validate({**VALID, "resourceId": "inv\x001"})
    message = raised.value.errors()[0]["msg"]
    assert "resourceId must be 1 to 256 printable characters" in message
    assert "got='inv\\x001'" in message
    assert "send the id exactly as the system knows it" in message


def _snake(field: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in field)
