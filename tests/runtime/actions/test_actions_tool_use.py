"""A model's toolUse block becomes an ActionProposal, or a ProposalError saying what and where."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.contracts import ActionProposal
from governed_assistant.runtime.actions import ProposalError, parse_tool_use
from pydantic import ValidationError

INPUT = {"resourceId": "inv-1", "tenantId": "acme", "parameters": {"amount": 5, "currency": "USD"}}
BLOCK = {"toolUseId": "tooluse_abc-1", "name": "issue_refund", "input": INPUT}


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(BLOCK, id="tool-use"),
        pytest.param({"toolUse": BLOCK}, id="content-block"),
        pytest.param({**BLOCK, "type": "server_tool_use"}, id="with-type"),
    ],
)
def test_parse_tool_use_well_formed_returns_proposal(block: dict[str, Any]) -> None:
    """A well-formed block becomes the proposal, parameters unvalidated (that is the gate's job)."""
    assert parse_tool_use(block) == ActionProposal(
        action_type="issue_refund",
        resource_id="inv-1",
        tenant_id="acme",
        parameters={"amount": 5, "currency": "USD"},
    )


@pytest.mark.parametrize(
    ("block", "reason", "location"),
    [
        pytest.param(None, "not_a_mapping", "toolUse", id="none"),
        pytest.param("issue_refund", "not_a_mapping", "toolUse", id="string"),
        pytest.param({**BLOCK, "extra": 1}, "unknown_field", "toolUse.extra", id="unknown-block-key"),
        pytest.param(
            {"name": "issue_refund", "input": INPUT}, "missing_field", "toolUse.toolUseId", id="no-id"
        ),
        pytest.param({**BLOCK, "toolUseId": "a b"}, "invalid_value", "toolUse.toolUseId", id="bad-id"),
        pytest.param({**BLOCK, "name": 7}, "wrong_type", "toolUse.name", id="name-not-string"),
        pytest.param({**BLOCK, "name": "a/b"}, "invalid_value", "toolUse.name", id="name-pattern"),
        pytest.param({**BLOCK, "name": "x" * 65}, "invalid_value", "toolUse.name", id="name-too-long"),
        pytest.param(
            {k: v for k, v in BLOCK.items() if k != "input"}, "missing_field", "toolUse.input", id="no-input"
        ),
        pytest.param({**BLOCK, "input": "{}"}, "not_a_mapping", "toolUse.input", id="input-as-json-text"),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "userId": "root"}},
            "unknown_field",
            "toolUse.input.userId",
            id="userid",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "tenantId": None}},
            "wrong_type",
            "toolUse.input.tenantId",
            id="tenant-null",
        ),
        pytest.param(
            {**BLOCK, "input": {"resourceId": "x", "parameters": {}}},
            "missing_field",
            "toolUse.input.tenantId",
            id="tenant-missing",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "resourceId": ""}},
            "invalid_value",
            "toolUse.input.resourceId",
            id="empty",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "resourceId": "a\nb"}},
            "invalid_value",
            "toolUse.input.resourceId",
            id="resource-control-char",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "resourceId": "inv-1\x00"}},
            "invalid_value",
            "toolUse.input.resourceId",
            id="resource-nul",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "resourceId": "inv\t1"}},
            "invalid_value",
            "toolUse.input.resourceId",
            id="resource-tab",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "resourceId": "inv-1\u2028"}},
            "invalid_value",
            "toolUse.input.resourceId",
            id="resource-unicode-line-separator",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "resourceId": "x" * 257}},
            "invalid_value",
            "toolUse.input.resourceId",
            id="resource-over-long",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "tenantId": 42}},
            "wrong_type",
            "toolUse.input.tenantId",
            id="tenant-integer",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "tenantId": "acme\nglobex"}},
            "invalid_value",
            "toolUse.input.tenantId",
            id="tenant-newline",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "tenantId": ""}},
            "invalid_value",
            "toolUse.input.tenantId",
            id="tenant-empty",
        ),
        pytest.param({**BLOCK, "name": "issue_refund\n"}, "invalid_value", "toolUse.name", id="name-newline"),
        pytest.param(
            {**BLOCK, "toolUseId": "tooluse_1\n"}, "invalid_value", "toolUse.toolUseId", id="id-newline"
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "parameters": {1: "x"}}},
            "wrong_type",
            "toolUse.input.parameters",
            id="parameters-integer-key",
        ),
        pytest.param(
            {**BLOCK, "input": {**INPUT, "parameters": [1]}},
            "not_a_mapping",
            "toolUse.input.parameters",
            id="parameters-list",
        ),
        pytest.param({**BLOCK, "input": {1: "x"}}, "wrong_type", "toolUse.input", id="non-string-key"),
    ],
)
def test_parse_tool_use_malformed_raises_proposal_error(block: Any, reason: str, location: str) -> None:
    """A malformed block raises ProposalError with the reason and the location, never a KeyError."""
    with pytest.raises(ProposalError) as raised:
        parse_tool_use(block)
    assert (raised.value.reason, raised.value.location) == (reason, location)
    assert f"location={location}" in str(raised.value)


@pytest.mark.parametrize(
    "tool_input",
    [
        pytest.param({**INPUT, "resourceId": "inv-1\x00"}, id="resource-nul"),
        pytest.param({**INPUT, "tenantId": "acme\r"}, id="tenant-carriage-return"),
        pytest.param({**INPUT, "parameters": "{}"}, id="parameters-json-text"),
        pytest.param({**INPUT, "resourceId": 7, "tenantId": None}, id="two-wrong-types"),
    ],
)
def test_parse_tool_use_refusal_matches_action_proposal(tool_input: dict[str, Any]) -> None:
    """The parser refuses exactly what ActionProposal refuses, naming the same problems."""
    with pytest.raises(ValidationError) as model_error:
        ActionProposal.model_validate({**tool_input, "actionType": "issue_refund"})
    with pytest.raises(ProposalError) as parse_error:
        parse_tool_use({**BLOCK, "input": tool_input})
    for problem in model_error.value.errors():
        assert str(problem["loc"][0]) in parse_error.value.message
