"""Fuzzed tool uses and proposals through the gate: nothing malformed passes, nothing raises past it."""

from __future__ import annotations

from typing import Any

from governed_assistant.contracts import ActionProposal, GateDecision
from governed_assistant.runtime.actions import (
    ProposalError,
    action_catalog,
    malformed_proposal,
    parse_tool_use,
    tenant_claims,
)
from governed_assistant.runtime.gate import GateFlags
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.runtime.gate.gate_harness import ALICE, OWNERS, SPEC, Gate

FUZZ = settings(max_examples=300, deadline=None, database=None)
GATE = Gate()
CATALOG = action_catalog(SPEC)
KEYS = ["status", "note", "amount", "currency", "reason", "sections", "tone", "summary", "tenantId", "x"]
RESOURCES = sorted({resource for _type, resource in OWNERS} | {"t-404", ""})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
scalars = st.sampled_from(
    [
        "open",
        "solved",
        "USD",
        "EUR",
        "plan",
        "formal",
        "duplicate charge",
        None,
        0,
        25,
        1e9,
        True,
        [],
        ["plan"],
    ]
)
parameters = st.dictionaries(st.sampled_from(KEYS), scalars | json_values, max_size=5)
tool_uses = st.fixed_dictionaries(
    {
        "toolUseId": st.just("tooluse_1") | json_values,
        "name": st.sampled_from([*CATALOG, "delete_tenant"]) | json_values,
        "input": st.fixed_dictionaries(
            {
                "resourceId": st.sampled_from(RESOURCES) | json_values,
                "tenantId": st.sampled_from(["acme", "globex", "ACME"]) | json_values,
                "parameters": parameters | json_values,
            },
            optional={"roles": st.just(["admin"])},
        )
        | json_values,
    }
)
proposal_mappings = st.fixed_dictionaries(
    {},
    optional={
        "actionType": st.sampled_from(list(CATALOG)) | json_values,
        "resourceId": st.sampled_from(RESOURCES) | json_values,
        "tenantId": st.sampled_from(["acme", "globex"]) | json_values,
        "parameters": parameters | json_values,
        "approved": st.booleans(),
    },
)
flags = st.builds(GateFlags, kill_switch=st.booleans(), shadow=st.booleans())


def _assert_sound(
    candidate: ActionProposal | dict[str, Any], decision: GateDecision, gate_flags: GateFlags
) -> None:
    """Whatever passes the gate is well-formed, in the caller's tenant, on its resource, within schema."""
    assert "gate_error" not in decision.reason_codes, decision.reasons
    assert len(decision.reasons) == len(decision.reason_codes)
    if decision.outcome == "deny":
        assert decision.reasons
        return
    assert not gate_flags.kill_switch
    assert (decision.outcome == "shadow") is gate_flags.shadow
    proposal = (
        candidate if isinstance(candidate, ActionProposal) else ActionProposal.model_validate(candidate)
    )
    contract = CATALOG[proposal.action_type]
    contract.validate(proposal.parameters)
    assert proposal.tenant_id == ALICE.tenant_id
    assert OWNERS[(contract.action.resource_type, proposal.resource_id)] == ALICE.tenant_id
    assert all(claim.value == ALICE.tenant_id for claim in tenant_claims(proposal.parameters))
    assert decision.security_event is False


@FUZZ
@given(block=tool_uses, gate_flags=flags)
def test_evaluate_fuzzed_tool_use_sound_decision(block: dict[str, Any], gate_flags: GateFlags) -> None:
    """A random tool use is refused by the parser or decided soundly by the gate; nothing else escapes."""
    try:
        proposal = parse_tool_use(block)
    except ProposalError:
        return
    _assert_sound(proposal, GATE.but(flags=gate_flags).decide(proposal), gate_flags)


@FUZZ
@given(candidate=proposal_mappings, gate_flags=flags)
def test_evaluate_fuzzed_proposal_mapping_sound_decision(
    candidate: dict[str, Any], gate_flags: GateFlags
) -> None:
    """A random wire-form proposal never raises and never passes unless it is fully valid."""
    _assert_sound(candidate, GATE.but(flags=gate_flags).decide(candidate), gate_flags)


@FUZZ
@given(action=st.sampled_from(list(CATALOG)), candidate=parameters)
def test_evaluate_fuzzed_parameters_outcome_matches_validation(
    action: str, candidate: dict[str, Any]
) -> None:
    """For a well-addressed proposal, parameters decide alone: invalid ones always deny."""
    resource = {"ticket": "t-acme", "invoice": "inv-acme", "customer": "c-acme"}[
        CATALOG[action].action.resource_type
    ]
    proposal = ActionProposal(
        action_type=action, resource_id=resource, tenant_id="acme", parameters=candidate
    )
    decision = GATE.decide(proposal)
    try:
        CATALOG[action].validate(candidate)
    except ProposalError:
        assert decision.reason_codes[0] == "invalid_parameters"
        assert decision.outcome == "deny"
    else:
        assert decision.outcome in ("allow", "approve"), decision.reasons


nasty_ids = st.text(max_size=12) | st.sampled_from(
    ["t-acme", "acme", "t-acme\x00", "t-acme\n", "t-\tacme", "t-acme\u2028", "x" * 257, "", "acme\r"]
)


@FUZZ
@given(
    name=st.sampled_from([*CATALOG, "a/b", "update_ticket_status\n"]) | nasty_ids | json_values,
    resource=nasty_ids | json_values,
    tenant=nasty_ids | json_values,
    candidate=parameters | json_values,
)
def test_evaluate_fuzzed_fields_parser_and_gate_agree(
    name: Any, resource: Any, tenant: Any, candidate: Any
) -> None:
    """A tool use the parser refuses is denied by the gate as malformed, and only such a one."""
    tool_input = {"resourceId": resource, "tenantId": tenant, "parameters": candidate}
    try:
        parse_tool_use({"toolUseId": "tooluse_1", "name": name, "input": tool_input})
    except ProposalError:
        parsed = False
    else:
        parsed = True
    decision = GATE.decide({"actionType": name, **tool_input})
    assert ("malformed_proposal" in decision.reason_codes) is not parsed, decision.reasons


tenant_keys = st.sampled_from(
    ["tenantId", "tenant_id", "tenant", "TenantID", "targetTenant", "tenants", "owner_tenant_id", "TENANT-ID"]
)
other_tenants = (
    st.sampled_from(["globex", "ACME", "acme ", "", "initech", "acme\x00"])
    | st.integers()
    | st.lists(st.sampled_from(["acme", "globex"]), min_size=1, max_size=3).filter(lambda v: "globex" in v)
    | st.builds(lambda tenant: {"id": tenant}, st.just("globex"))
)
plain_keys = st.sampled_from(["x", "data", "items", "meta", "filter", "owner", "status"])
# A tenant-ish key naming another tenant, buried at any depth in objects and lists.
planted = st.recursive(
    st.builds(lambda key, value: {key: value}, tenant_keys, other_tenants),
    lambda inner: (
        st.builds(lambda key, value: {key: value}, plain_keys, inner)
        | st.builds(lambda value, pad: [*pad, value], inner, st.lists(st.integers(), max_size=2))
    ),
    max_leaves=6,
)


@FUZZ
@given(action=st.sampled_from(list(CATALOG)), candidate=parameters, key=plain_keys, buried=planted)
def test_evaluate_fuzzed_nested_other_tenant_denied_as_security_event(
    action: str, candidate: dict[str, Any], key: str, buried: Any
) -> None:
    """Another tenant named anywhere in the parameters, at any depth or in a list, is a security event."""
    resource = {"ticket": "t-acme", "invoice": "inv-acme", "customer": "c-acme"}[
        CATALOG[action].action.resource_type
    ]
    proposal = ActionProposal(
        action_type=action, resource_id=resource, tenant_id="acme", parameters={**candidate, key: buried}
    )
    decision = GATE.decide(proposal)
    assert (decision.outcome, decision.security_event) == ("deny", True), decision.reasons
    assert "tenant_mismatch" in decision.reason_codes
    assert GATE.decide(proposal.model_dump(by_alias=True)) == decision


@FUZZ
@given(
    resource=st.sampled_from(["t-acme\x00", "t-acme\n", "t-\tacme", "t-acme\u2028", "x" * 257]),
    tenant=st.sampled_from(["acme"]) | other_tenants,
    key=plain_keys,
    buried=planted | st.just("no tenant here"),
)
def test_evaluate_fuzzed_malformed_tool_use_other_tenant_flagged(
    resource: str, tenant: Any, key: str, buried: Any
) -> None:
    """A tool use that does not parse is denied as malformed; flagged exactly when it names another tenant."""
    tool_input = {"resourceId": resource, "tenantId": tenant, "parameters": {"status": "solved", key: buried}}
    try:
        parse_tool_use({"toolUseId": "tooluse_1", "name": "update_ticket_status", "input": tool_input})
    except ProposalError as error:
        malformed = malformed_proposal("update_ticket_status", tool_input, error)
    else:
        raise AssertionError(f"a control character or over-long id must not parse: {resource!r}")
    decision = GATE.decide(malformed.model_dump(mode="json", by_alias=True))
    foreign = tenant != "acme" or buried != "no tenant here"
    assert decision.outcome == "deny"
    assert decision.reason_codes[0] == "malformed_proposal"
    assert decision.security_event is foreign, decision.reasons
