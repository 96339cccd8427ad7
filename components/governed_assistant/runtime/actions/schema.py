"""An action's parameters schema as the strict JSON Schema Bedrock's ``strict: true`` tools need.

``governed_assistant.spec.strict_schema`` decides what the spec may say (the strict subset); this
module only rewrites a schema that passed those checks into the closed form constrained
decoding wants: every object ``additionalProperties: false``, every property in
``required``, and the optional ones made nullable (``"type": ["string", "null"]``), so the
model says "absent" with ``null`` rather than by leaving a key out.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governed_assistant.runtime.actions.constants import (
    MAX_RESOURCE_ID_CHARS,
    PARAMETERS_KEY,
    RESOURCE_ID_KEY,
    TENANT_ID_KEY,
)
from governed_assistant.runtime.actions.exceptions import ActionSchemaError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Action


def strict_parameters_schema(parameters: Mapping[str, Any], *, action: str = "?") -> dict[str, Any]:
    """The closed, all-required form of ``parameters``; raises ActionSchemaError outside the subset."""
    # Imported here: any governed_assistant.spec module runs the spec package, which loads YAML and builds
    # the spec model (~60 ms of a handler's cold import); a catalog is built after the spec is.
    from governed_assistant.spec.strict_schema import check_parameters_schema

    problems = check_parameters_schema(dict(parameters), ("actions", action, "parameters"))
    if problems:
        listed = "; ".join(str(problem) for problem in problems)
        raise ActionSchemaError(
            f"Parameters schema is not a strict tool schema, action={action}: {listed}; "
            "fix it in assistant.yaml (`python -m governed_assistant.spec check` lists the same problems)"
        )
    return _strict_node(copy.deepcopy(dict(parameters)))


def tool_input_schema(action: Action, tenant_id: str) -> dict[str, Any]:
    """The whole tool input: the resource, the tenant pinned to ``tenant_id``, the parameters.

    ``tenantId`` is part of the input so the proposal carries the tenant the model *claims*,
    but constrained decoding can only ever emit the verified tenant (a one-value enum). The
    gate still compares the claim with the TenantContext: a tool use that did not come
    through strict decoding (a replay, a forged event) is refused there.
    """
    return {
        "type": "object",
        "properties": {
            RESOURCE_ID_KEY: {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_RESOURCE_ID_CHARS,
                "description": f"The id of the {action.resource_type} to act on.",
            },
            TENANT_ID_KEY: {
                "type": "string",
                "enum": [tenant_id],
                "description": "The tenant of the conversation; always this value.",
            },
            PARAMETERS_KEY: strict_parameters_schema(action.parameters, action=action.name),
        },
        "required": [RESOURCE_ID_KEY, TENANT_ID_KEY, PARAMETERS_KEY],
        "additionalProperties": False,
    }


def _strict_node(node: dict[str, Any]) -> dict[str, Any]:
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    if "object" in types:
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        node["properties"] = {
            name: _strict_node(child) if name in required else _nullable(_strict_node(child))
            for name, child in properties.items()
        }
        node["required"] = list(properties)
        node["additionalProperties"] = False
    if "array" in types:
        node["items"] = _strict_node(node["items"])
    return node


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    if "null" not in types:
        node["type"] = [*types, "null"]
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    return node
