"""The Cedar schema and starter policies derived from the spec are valid and mean what they say."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant.authz import (
    TENANT_GUARD_POLICY,
    cedar_schema,
    entity_type,
    load_policies,
    policy_problems,
    starter_policy,
)
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import answer_mode_document


@pytest.mark.parametrize(
    ("resource_type", "expected"),
    [
        pytest.param("ticket", "Ticket", id="one-word"),
        pytest.param("audit_report", "AuditReport", id="snake"),
    ],
)
def test_entity_type_is_pascal_case(resource_type: str, expected: str) -> None:
    """Resource types become Cedar entity types in PascalCase."""
    assert entity_type(resource_type) == expected


def test_cedar_schema_has_one_action_per_spec_action(spec: AssistantSpec) -> None:
    """Every spec action is a Cedar action applying to User on its resource type."""
    actions = cedar_schema(spec)[""]["actions"]
    assert set(actions) == {action.name for action in spec.actions}
    assert actions["issue_refund"]["appliesTo"] == {"principalTypes": ["User"], "resourceTypes": ["Invoice"]}


def test_starter_policies_validate_against_the_schema(spec: AssistantSpec, tmp_path: Path) -> None:
    """Each role's starter policy, with the tenant guard, type-checks against the schema."""
    for role in spec.roles:
        (tmp_path / f"{role}.cedar").write_text(starter_policy(spec, role))
    policies = load_policies(tmp_path)
    assert TENANT_GUARD_POLICY in policies
    assert policy_problems(spec, policies) == []


def test_policy_problems_unknown_action_is_reported(spec: AssistantSpec) -> None:
    """A policy naming an action the spec lacks fails validation with the action's name."""
    problems = policy_problems(spec, 'permit (principal, action == Action::"wire_money", resource);')
    assert any("wire_money" in problem for problem in problems)


def test_starter_policy_role_without_actions_permits_nothing(spec: AssistantSpec) -> None:
    """A role that only approves gets a policy file that permits nothing, and says why."""
    text = starter_policy(spec, "admin")
    assert "permit" not in text.replace("permitted", "")
    assert "may run no action itself" in text


def _answer_mode_spec() -> AssistantSpec:
    return parse_spec(render_spec_yaml(answer_mode_document()))


def test_starter_policies_validate_in_answer_mode(tmp_path: Path) -> None:
    """With no actions (nothing to authorize), the starter policies and the tenant guard still validate."""
    spec = _answer_mode_spec()
    for role in spec.roles:
        (tmp_path / f"{role}.cedar").write_text(starter_policy(spec, role))
    assert policy_problems(spec, load_policies(tmp_path)) == []


def test_policy_naming_an_action_in_answer_mode_is_reported() -> None:
    """Without actions, a policy that names one is still refused: only the guard is set aside."""
    problems = policy_problems(
        _answer_mode_spec(), 'permit (principal, action == Action::"wire_money", resource);'
    )
    assert any("wire_money" in problem for problem in problems)
