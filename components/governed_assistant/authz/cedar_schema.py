"""The Cedar schema the spec implies, the policy each role starts with, and their validation.

Principals are ``User`` entities, members of ``Role`` entities, with a ``tenant``
attribute taken from the verified token. Each action's resource is an entity of its
``resource_type`` (``ticket`` -> ``Ticket``) whose ``tenant`` is its owner's. Policies in
``policies/`` are the user's; the tenant guard below is always added by the code, so no
edit to those files can let one tenant act on another's resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from governed_assistant.spec.model import AssistantSpec

TENANT_GUARD_POLICY = """\
// Added by the governance runtime, not editable: nothing crosses a tenant boundary.
@id("tenant-guard")
forbid (principal, action, resource)
unless { resource.tenant == principal.tenant };
"""

_TENANT_ATTRIBUTE = {"type": "Record", "attributes": {"tenant": {"type": "String", "required": True}}}


def entity_type(resource_type: str) -> str:
    """``audit_report`` -> ``AuditReport``: the Cedar entity type of a resource type."""
    return "".join(part.capitalize() for part in resource_type.split("_"))


def cedar_schema(spec: AssistantSpec) -> dict[str, Any]:
    """The Cedar JSON schema: users in roles, one entity type per resource type, one action each."""
    entity_types: dict[str, Any] = {
        "User": {"memberOfTypes": ["Role"], "shape": _TENANT_ATTRIBUTE},
        "Role": {},
    }
    for resource_type in spec.resource_types:
        entity_types[entity_type(resource_type)] = {"shape": _TENANT_ATTRIBUTE}
    actions = {
        action.name: {
            "appliesTo": {"principalTypes": ["User"], "resourceTypes": [entity_type(action.resource_type)]}
        }
        for action in spec.actions
    }
    return {"": {"entityTypes": entity_types, "actions": actions}}


def starter_policy(spec: AssistantSpec, role: str) -> str:
    """The policy a role starts with: the actions the spec allows it, in its own tenant."""
    allowed = [action.name for action in spec.actions if role in action.roles]
    header = (
        f"// Role {role!r}: {spec.roles.get(role, '')}\n"
        "// Yours to edit: generated once from assistant.yaml, never overwritten.\n"
        "// Default deny: an action not permitted here is refused by the gate.\n"
    )
    if not allowed:
        return header + f"// {role} may run no action itself (it approves or administers).\n"
    action_list = ",\n    ".join(f'Action::"{name}"' for name in allowed)
    return (
        f"{header}"
        f'@id("{role}-actions")\n'
        "permit (\n"
        f'  principal in Role::"{role}",\n'
        f"  action in [\n    {action_list}\n  ],\n"
        "  resource\n"
        ")\n"
        "when { resource.tenant == principal.tenant };\n"
    )


def load_policies(directory: Path) -> str:
    """Every ``*.cedar`` file in ``directory`` (sorted), plus the tenant guard."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.cedar"))]
    return "\n".join([*texts, TENANT_GUARD_POLICY])


def policy_problems(spec: AssistantSpec, policies: str) -> list[str]:
    """Parse and type-check ``policies`` against the spec's schema; empty when valid."""
    # Imported here: the scaffolder runs this module under copier's own interpreter,
    # which has no cedarpy, and only needs the pure functions above.
    import cedarpy

    if not spec.actions:
        # Nothing to authorize (answer mode; the gate never runs): Cedar's validator refuses a
        # policy that applies to no action, and the tenant guard would be one.
        policies = policies.replace(TENANT_GUARD_POLICY, "")
    result = cedarpy.validate_policies(policies, cedar_schema(spec))
    return [str(error) for error in result.errors]
