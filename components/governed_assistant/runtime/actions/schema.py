"""An action's parameters schema as the strict JSON Schema Bedrock's ``strict: true`` tools need.

``governed_assistant.spec.strict_schema`` decides what the spec may say (the strict subset); this
module only rewrites a schema that passed those checks into the closed form constrained
decoding wants: every object ``additionalProperties: false``, every property in
``required``, and the optional ones made nullable (``"type": ["string", "null"]``), so the
model says "absent" with ``null`` rather than by leaving a key out. Only the keywords strict
mode accepts are sent (``strict_subset.TOOL_SCHEMA_KEYWORDS``); every other bound (lengths,
ranges, ``maxItems``, a pattern outside the regex subset) moves into the description in words,
and the gate still enforces it against the spec's full schema.
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
from governed_assistant.runtime.actions.strict_subset import (
    TOOL_MIN_ITEMS,
    TOOL_SCHEMA_KEYWORDS,
    TOOL_STRING_FORMATS,
    node_types,
    pattern_problem,
)

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


def tool_input_schema(action: Action) -> dict[str, Any]:
    """The whole tool input: the resource, the tenant the model claims, the parameters.

    Nothing in it depends on the tenant: one grammar per deployment, compiled once, not one per
    tenant (Bedrock compiles each new schema, "up to a few minutes", and caches it 24 hours). The
    model learns the tenant from the conversation (``tenant_context_text``), and the gate compares
    the claim with the verified TenantContext: another tenant is refused there.
    """
    return {
        "type": "object",
        "properties": {
            RESOURCE_ID_KEY: {
                "type": "string",
                "description": f"The id of the {action.resource_type} to act on "
                f"(1 to {MAX_RESOURCE_ID_CHARS} characters).",
            },
            TENANT_ID_KEY: {
                "type": "string",
                "description": "The tenant of the conversation, exactly as the conversation names it.",
            },
            PARAMETERS_KEY: strict_parameters_schema(action.parameters, action=action.name),
        },
        "required": [RESOURCE_ID_KEY, TENANT_ID_KEY, PARAMETERS_KEY],
        "additionalProperties": False,
    }


def _strict_node(node: dict[str, Any]) -> dict[str, Any]:
    types = node_types(node)
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
    return _described(node)


# Bounds strict mode refuses, in words for the description (the gate enforces the numbers).
_IN_WORDS: dict[str, str] = {
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "greater than {}",
    "exclusiveMaximum": "less than {}",
    "multipleOf": "a multiple of {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "pattern": "matching the regular expression {}",
    "format": "in {} format",
}


def _described(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with only allow-listed keywords; each bound it drops is said in its description."""
    kept = {key: value for key, value in node.items() if key in TOOL_SCHEMA_KEYWORDS}
    dropped = {key: value for key, value in node.items() if key not in TOOL_SCHEMA_KEYWORDS}
    if "format" in kept and kept["format"] not in TOOL_STRING_FORMATS:
        dropped["format"] = kept.pop("format")
    if "pattern" in kept and pattern_problem(str(kept["pattern"])) is not None:
        dropped["pattern"] = kept.pop("pattern")
    if "minItems" in kept and kept["minItems"] not in TOOL_MIN_ITEMS:
        dropped["minItems"] = kept.pop("minItems")
    words = [_IN_WORDS[key].format(value) for key, value in dropped.items() if key in _IN_WORDS]
    title = dropped.get("title")
    description = " ".join(str(part) for part in (kept.get("description") or title,) if part)
    if words and description:
        description = f"{description} ({'; '.join(words)})"
    elif words:
        description = "; ".join(words).capitalize() + "."
    if description:
        kept["description"] = description
    return kept


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    if "null" not in types:
        node["type"] = [*types, "null"]
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    return node
