# Managed by the governed-assistant template; `copier update` refreshes this file.
"""policies/*.cedar parse, type-check against the spec's schema, and decide as intended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cedarpy
import pytest
from governed_assistant import AssistantSpec, cedar_schema, entity_type, load_policies, policy_problems


@pytest.fixture(scope="module")
def policies(project_root: Path) -> str:
    return load_policies(project_root / "policies")


def _is_allowed(spec: AssistantSpec, policies: str, role: str, action: str, resource_tenant: str) -> bool:
    resource_type = entity_type(spec.action(action).resource_type)  # type: ignore[union-attr]
    entities: list[dict[str, Any]] = [
        {"uid": {"type": "User", "id": "alice"}, "attrs": {"tenant": "acme"},
         "parents": [{"type": "Role", "id": role}]},
        {"uid": {"type": "Role", "id": role}, "attrs": {}, "parents": []},
        {"uid": {"type": resource_type, "id": "r-1"}, "attrs": {"tenant": resource_tenant}, "parents": []},
    ]  # fmt: skip
    request = {
        "principal": 'User::"alice"',
        "action": f'Action::"{action}"',
        "resource": f'{resource_type}::"r-1"',
        "context": {},
    }
    result = cedarpy.is_authorized(request, policies, entities, schema=cedar_schema(spec))
    return result.decision == cedarpy.Decision.Allow


def test_policies_validate_against_the_spec_schema(spec: AssistantSpec, policies: str) -> None:
    """Every policy parses and type-checks against the schema generated from assistant.yaml."""
    assert policy_problems(spec, policies) == []


def test_roles_run_their_actions_in_their_own_tenant(spec: AssistantSpec, policies: str) -> None:
    """A role allowed an action in the spec is permitted it on its own tenant's resource."""
    for action in spec.actions:
        for role in action.roles:
            assert _is_allowed(spec, policies, role, action.name, "acme"), (
                f"assistant.yaml lets {role} run {action.name} but no policy permits it: "
                f'add Action::"{action.name}" to a permit in policies/{role}.cedar'
            )


def test_no_role_acts_on_another_tenants_resource(spec: AssistantSpec, policies: str) -> None:
    """The tenant guard forbids every action on a resource of another tenant, whatever the policies say."""
    for action in spec.actions:
        for role in spec.roles:
            assert not _is_allowed(spec, policies, role, action.name, "globex")


def test_roles_not_listed_for_an_action_are_denied(spec: AssistantSpec, policies: str) -> None:
    """Default deny: a role the spec does not list for an action cannot run it."""
    for action in spec.actions:
        for role in set(spec.roles) - set(action.roles):
            assert not _is_allowed(spec, policies, role, action.name, "acme"), (
                f"{role} must not run {action.name}"
            )
