"""Fuzzed tool-use blocks and parameters: the only failure a model can cause is ProposalError."""

from __future__ import annotations

from typing import Any

from governed_assistant.runtime.actions import ProposalError, action_catalog, parse_tool_use
from governed_assistant.spec import parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import preset_document

FUZZ = settings(max_examples=300, deadline=None, database=None)
SPEC = parse_spec(render_spec_yaml(preset_document()))
CATALOG = action_catalog(SPEC)
KEYS = ["status", "note", "amount", "currency", "reason", "sections", "tone", "summary", "tenantId", "x"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Mostly near-misses: the real keys, with values of any type.
parameters = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6) | json_values
tool_inputs = st.fixed_dictionaries(
    {},
    optional={
        "resourceId": st.text(max_size=300) | json_values,
        "tenantId": st.sampled_from(["acme", "globex", ""]) | json_values,
        "parameters": parameters,
        "userId": st.text(max_size=5),
    },
)
blocks = (
    st.fixed_dictionaries(
        {},
        optional={
            "toolUseId": st.from_regex(r"[a-zA-Z0-9_.:-]{1,64}", fullmatch=True) | json_values,
            "name": st.sampled_from([*CATALOG, "wire_money", ""]) | json_values,
            "input": tool_inputs | json_values,
            "type": st.just("server_tool_use"),
        },
    )
    | json_values
)


@FUZZ
@given(block=blocks)
def test_parse_tool_use_fuzzed_block_returns_proposal_or_refuses(block: Any) -> None:
    """Any block yields a well-typed proposal or raises ProposalError; nothing else escapes."""
    try:
        proposal = parse_tool_use(block)
    except ProposalError as error:
        assert error.reason and error.location.startswith("toolUse")
        return
    assert isinstance(proposal.parameters, dict)
    assert isinstance(proposal.tenant_id, str) and 1 <= len(proposal.resource_id) <= 256


@FUZZ
@given(action=st.sampled_from(list(CATALOG)), candidate=parameters)
def test_validate_fuzzed_parameters_valid_or_refused(action: str, candidate: Any) -> None:
    """Random parameters validate only if every key is declared and the schema holds; else ProposalError."""
    contract = CATALOG[action]
    try:
        model = contract.validate(candidate)
    except ProposalError as error:
        assert error.reason in ("invalid_parameters", "wrong_type")
        return
    declared = set(contract.action.parameters["properties"])
    assert set(candidate) <= declared
    assert set(contract.action.parameters["required"]) <= set(candidate)
    assert model.model_dump().keys() == declared
