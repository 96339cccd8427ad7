"""Checks an action's parameters against the JSON Schema subset strict tool use accepts.

Bedrock's ``strict: true`` tool definitions (constrained decoding) accept only a subset
of JSON Schema: every object closed with ``additionalProperties: false``, no ``$ref``
or combinators, a fixed set of keywords per type. No library checks that subset, and a
general JSON Schema meta-validator would accept schemas Bedrock then rejects at deploy
time, so the rules live here, each with the fix in its message.

The spec's schema is the full contract the gate enforces, bounds included (``minLength``,
``maximum``, ...); the tool sent to Bedrock keeps only what strict mode accepts
(``runtime.actions.strict_subset``, with its sources). What cannot be moved into a description
is refused here: complex ``enum`` values, and a spec whose tools together pass the limits of one
request (``tool_limit_problems``).
"""

from __future__ import annotations

import re
from typing import Any

from governed_assistant.runtime.actions.strict_subset import (
    MAX_OPTIONAL_PARAMETERS,
    MAX_STRICT_TOOLS,
    MAX_UNION_PARAMETERS,
    is_union,
    parameters,
)
from governed_assistant.spec.problems import PathPart, Problem
from governed_assistant.spec.schema_keywords import keyword_problems

JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")

_COMMON_KEYWORDS = {"type", "description", "enum", "title"}
_KEYWORDS_BY_TYPE: dict[str, set[str]] = {
    "string": {"minLength", "maxLength", "pattern", "format"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "boolean": set(),
    "null": set(),
    "array": {"items", "minItems", "maxItems"},
    "object": {"properties", "required", "additionalProperties"},
}
_STRING_FORMATS = ("date-time", "date", "time", "email", "uri", "uuid")
_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Identity comes from the verified token, never from what the model fills in.
RESERVED_PARAMETER_NAMES = frozenset(
    {"tenantId", "tenant_id", "tenant", "userId", "user_id", "roles", "requestId"}
)
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


def check_parameters_schema(schema: Any, path: tuple[PathPart, ...]) -> list[Problem]:
    """Return every way ``schema`` falls outside the strict subset; empty when it fits."""
    if not isinstance(schema, dict):
        return [Problem(path, 'must be a JSON Schema object, e.g. {"type": "object", "properties": {}}')]
    problems: list[Problem] = []
    if schema.get("type") != "object":
        problems.append(
            Problem(
                (*path, "type"),
                f'the parameters schema must have "type": "object", got {schema.get("type")!r}',
            )
        )
    problems += _check_node(schema, path, top_level=True)
    return problems


def _check_node(node: Any, path: tuple[PathPart, ...], *, top_level: bool = False) -> list[Problem]:
    if not isinstance(node, dict):
        return [Problem(path, f"must be a schema object, got {type(node).__name__}")]
    types, problems = _node_types(node, path)
    if not types:
        return problems
    allowed = set(_COMMON_KEYWORDS)
    for type_name in types:
        allowed |= _KEYWORDS_BY_TYPE[type_name]
    for keyword in sorted(set(node) - allowed):
        problems.append(
            Problem(
                (*path, keyword),
                f"keyword {keyword!r} is not supported by strict tool schemas for type "
                f"{'/'.join(types)}; supported: {', '.join(sorted(allowed))}",
            )
        )
    problems += keyword_problems({key: value for key, value in node.items() if key in allowed}, types, path)
    if "enum" in node:
        problems += _check_enum(node["enum"], types, (*path, "enum"))
    if "object" in types:
        problems += _check_object(node, path, top_level=top_level)
    if "array" in types:
        if "items" not in node:
            problems.append(Problem((*path, "items"), 'an array needs "items", e.g. {"type": "string"}'))
        else:
            problems += _check_node(node["items"], (*path, "items"))
    # A format or pattern that is not text is reported by keyword_problems.
    if "string" in types and isinstance(node.get("format"), str) and node["format"] not in _STRING_FORMATS:
        problems.append(
            Problem(
                (*path, "format"),
                f"format {node['format']!r} is not supported; use one of {', '.join(_STRING_FORMATS)}",
            )
        )
    if "string" in types and isinstance(node.get("pattern"), str):
        try:
            re.compile(node["pattern"])
        except re.error as error:
            problems.append(Problem((*path, "pattern"), f"is not a valid regular expression: {error}"))
    return problems


def _node_types(node: dict[str, Any], path: tuple[PathPart, ...]) -> tuple[list[str], list[Problem]]:
    declared = node.get("type")
    if declared is None:
        return [], [Problem((*path, "type"), f'every schema needs a "type"; one of {", ".join(JSON_TYPES)}')]
    names = declared if isinstance(declared, list) else [declared]
    if not names:
        return [], [Problem((*path, "type"), f"list at least one type; one of {', '.join(JSON_TYPES)}")]
    bad = [name for name in names if name not in JSON_TYPES]
    if bad:
        return [], [
            Problem(
                (*path, "type"),
                f"{bad[0]!r} is not a JSON Schema type; use one of {', '.join(JSON_TYPES)}",
            )
        ]
    twice = [name for index, name in enumerate(names) if name in names[:index]]
    if twice:
        return [], [Problem((*path, "type"), f"{twice[0]!r} is listed twice; list each type once")]
    non_null = [name for name in names if name != "null"]
    if len(non_null) > 1:
        return [], [
            Problem(
                (*path, "type"),
                f"a union of types {names} is not supported; use one type, optionally with 'null'",
            )
        ]
    return [str(name) for name in names], []


def _check_object(node: dict[str, Any], path: tuple[PathPart, ...], *, top_level: bool) -> list[Problem]:
    problems: list[Problem] = []
    properties = node.get("properties", {})
    if not isinstance(properties, dict):
        return [Problem((*path, "properties"), "must be a mapping of property name to schema")]
    if node.get("additionalProperties", False) is not False:
        problems.append(
            Problem(
                (*path, "additionalProperties"),
                "strict tool schemas are closed; set additionalProperties: false or leave it out",
            )
        )
    for name, child in properties.items():
        child_path = (*path, "properties", name)
        if not _PROPERTY_NAME.fullmatch(str(name)):
            problems.append(Problem(child_path, "a property name must match [A-Za-z_][A-Za-z0-9_]{0,63}"))
        if top_level and name in RESERVED_PARAMETER_NAMES:
            problems.append(
                Problem(
                    child_path,
                    f"{name!r} is reserved: tenant and user come from the verified token, "
                    "never from the model; remove this parameter",
                )
            )
        problems += _check_node(child, child_path)
    required = node.get("required", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        return problems  # keyword_problems says what required must be
    for index, name in enumerate(required):
        if name in required[:index]:
            problems.append(Problem((*path, "required", index), f"{name!r} is listed twice; list it once"))
        elif name not in properties:
            problems.append(
                Problem((*path, "required", index), f"{name!r} is required but not declared under properties")
            )
    return problems


def _check_enum(values: Any, types: list[str], path: tuple[PathPart, ...]) -> list[Problem]:
    if not isinstance(values, list) or not values:
        return [Problem(path, "must be a non-empty list of allowed values")]
    accepted = tuple(t for name in types for t in _PYTHON_TYPES[name])
    problems = []
    for index, value in enumerate(values):
        if isinstance(value, dict | list):
            # Anthropic: "enum (strings, numbers, bools, or nulls only - no complex types)".
            problems.append(
                Problem(
                    (*path, index),
                    f"{value!r} is not a scalar; strict tool use takes only strings, numbers, booleans "
                    "and null in an enum; list scalar values or describe the allowed objects instead",
                )
            )
            continue
        wrong_bool = isinstance(value, bool) and "boolean" not in types
        if wrong_bool or not isinstance(value, accepted):
            problems.append(
                Problem((*path, index), f"{value!r} does not match the declared type {'/'.join(types)}")
            )
    return problems


def tool_limit_problems(actions: list[Any]) -> list[Problem]:
    """The limits of one Converse request's strict tools, over the tools the spec's actions become.

    Anthropic's "schema complexity limits" are totals over every strict schema of a request, not
    per tool, and the reasoning step sends every action in one request: at most 20 tools, 24
    parameters left out of ``required`` and 16 parameters with a union type (a type array, so
    every optional parameter, which the tool makes nullable, counts).
    """
    # Imported here: runtime.actions' package loads pydantic models, not needed for a plain check.
    from governed_assistant.runtime.actions.schema import strict_parameters_schema

    if not isinstance(actions, list):
        return []
    problems: list[Problem] = []
    if len(actions) > MAX_STRICT_TOOLS:
        problems.append(
            Problem(
                ("actions", MAX_STRICT_TOOLS),
                f"too many actions: {len(actions)}; every action is a strict tool and Bedrock takes at "
                f"most {MAX_STRICT_TOOLS} strict tools per request (strict tool use limit); "
                "merge actions or move some to another assistant",
            )
        )
    optional: list[tuple[PathPart, ...]] = []
    unions: list[tuple[PathPart, ...]] = []
    for index, action in enumerate(actions):
        schema = action.get("parameters") if isinstance(action, dict) else None
        where: tuple[PathPart, ...] = ("actions", index, "parameters")
        if not isinstance(schema, dict) or check_parameters_schema(schema, where):
            continue  # reported on its own; no tool form to count
        for path, node, required in parameters(strict_parameters_schema(schema), where):
            optional += [] if required else [path]
            unions += [path] if is_union(node) else []
    for found, limit, what, fix in (
        (optional, MAX_OPTIONAL_PARAMETERS, "optional parameters", "list more parameters in required"),
        (
            unions,
            MAX_UNION_PARAMETERS,
            "parameters with union types (a type list such as [string, 'null']; every optional "
            "parameter is sent nullable, so it counts)",
            "make parameters required and not nullable, or drop some",
        ),
    ):
        if len(found) > limit:
            problems.append(
                Problem(
                    found[limit],
                    f"too many {what} across all actions: {len(found)}, and Bedrock takes at most "
                    f"{limit} per request (strict tool use limit); {fix}",
                )
            )
    return problems
