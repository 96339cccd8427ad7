"""What a ``strict: true`` tool's input schema may contain, and the limits of one request's tools.

Sources (read 2026; the numbers and lists below are theirs):

* Anthropic, "Structured outputs" - JSON Schema limitations, supported regex features and
  schema complexity limits: https://platform.claude.com/docs/en/build-with-claude/structured-outputs
  (strict tool use: https://platform.claude.com/docs/en/agents-and-tools/tool-use/strict-tool-use)
* Amazon Bedrock, "Get validated JSON results from models": a schema outside the supported
  JSON Schema subset is a 400 at once; a new schema's grammar compiles on first use (up to a
  few minutes) and is cached for 24 hours:
  https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html

The allow-list is deliberately narrower than what the docs accept (no ``anyOf``/``$ref``/
``const``/``default``): it is what this template emits. Every bound the spec's full schema
holds (lengths, ranges, ``maxItems``) stays with the gate, and moves into the description in
words for the model, as Anthropic's SDKs do. Only the standard library: the local model and
the reasoning step import this.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

# Keywords a tool input schema node may carry (Anthropic's supported list, as this template uses it).
TOOL_SCHEMA_KEYWORDS: Final = frozenset(
    {"type", "description", "properties", "required", "additionalProperties", "items", "enum"}
    | {"format", "pattern", "minItems"}
)
# "String formats: date-time, time, date, duration, email, hostname, uri, ipv4, ipv6, uuid".
TOOL_STRING_FORMATS: Final = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
)
# "Array minItems (only values 0 and 1 supported)".
TOOL_MIN_ITEMS: Final = frozenset({0, 1})
# "Schema complexity limits": totals over every strict tool of one request, not per tool.
MAX_STRICT_TOOLS: Final = 20
MAX_OPTIONAL_PARAMETERS: Final = 24
MAX_UNION_PARAMETERS: Final = 16
# Regex: "NOT supported: backreferences (\1, \2), lookahead/lookbehind ((?=...), (?!...)), word
# boundaries (\b, \B), complex {n,m} quantifiers with large ranges". Groups are listed as "(...)",
# so any "(?" construct (named, non-capturing, flags) stays off the wire too. "Large" is not
# given a number; MAX_REPEAT is this template's own, conservative choice.
MAX_REPEAT: Final = 100
_UNSUPPORTED_REGEX: Final = (
    (re.compile(r"\\[1-9]|\\k[<'{]|\(\?P="), "a backreference"),
    (re.compile(r"\(\?<?[=!]"), "a lookahead or lookbehind"),
    (re.compile(r"\\[bB]"), "a word boundary"),
    (re.compile(r"\(\?"), "a '(?...)' group"),
)
_REPEAT: Final = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def pattern_problem(pattern: str) -> str | None:
    """Why strict mode would refuse ``pattern``, or None when it is in the supported subset."""
    # Drop escaped backslashes first, so "\\\\b" (a literal backslash, then b) is not a boundary.
    text = pattern.replace("\\\\", "")
    for construct, name in _UNSUPPORTED_REGEX:
        if construct.search(text):
            return f"it uses {name}"
    for found in _REPEAT.finditer(text):
        bounds = [int(found[1])] + ([int(found[2])] if found[2] else [])
        if max(bounds) > MAX_REPEAT:
            return f"its repetition {found[0]} exceeds {{0,{MAX_REPEAT}}}"
    return None


def node_types(node: Mapping[str, Any]) -> list[str]:
    declared = node.get("type")
    return [str(name) for name in declared] if isinstance(declared, list) else [str(declared)]


def is_union(node: Mapping[str, Any]) -> bool:
    """A parameter with a union type: a type array (a nullable one too) or ``anyOf``."""
    declared = node.get("type")
    return (isinstance(declared, list) and len(declared) > 1) or "anyOf" in node


def parameters(
    schema: Mapping[str, Any], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any], bool]]:
    """Every property at any depth: (its schema path, its schema, whether its object requires it)."""
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        required = schema.get("required") or []
        for name, child in properties.items():
            if isinstance(child, Mapping):
                child_path = (*path, "properties", name)
                yield child_path, child, name in required
                yield from parameters(child, child_path)
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from parameters(items, (*path, "items"))


def dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path)


def tool_schema_problems(schema: Any, path: str) -> list[str]:
    """Every keyword or value of ``schema`` outside the allow-list, each with its path."""
    if not isinstance(schema, Mapping):
        return [f"{path}: must be a JSON Schema object"]
    problems = [
        f"{path}.{keyword}: keyword {keyword!r} is not supported by strict tool use"
        for keyword in sorted(set(schema) - TOOL_SCHEMA_KEYWORDS)
    ]
    if "object" in node_types(schema) and schema.get("additionalProperties") is not False:
        problems.append(f"{path}.additionalProperties: must be false on every object")
    if "enum" in schema and not all(
        value is None or isinstance(value, str | int | float | bool) for value in schema["enum"] or []
    ):
        problems.append(f"{path}.enum: only strings, numbers, booleans and null are supported")
    if "format" in schema and schema["format"] not in TOOL_STRING_FORMATS:
        problems.append(f"{path}.format: {schema['format']!r} is not a supported string format")
    if "pattern" in schema and (why := pattern_problem(str(schema["pattern"]))) is not None:
        problems.append(f"{path}.pattern: not in the supported regex subset: {why}")
    if "minItems" in schema and schema["minItems"] not in TOOL_MIN_ITEMS:
        problems.append(f"{path}.minItems: only 0 or 1 is supported, got {schema['minItems']!r}")
    for name, child in (schema.get("properties") or {}).items():
        problems += tool_schema_problems(child, f"{path}.properties.{name}")
    if "items" in schema:
        problems += tool_schema_problems(schema["items"], f"{path}.items")
    return problems


def tool_config_problems(tool_config: Any) -> list[str]:
    """What Bedrock would refuse in a Converse ``toolConfig``: schemas, then the request's limits."""
    if not isinstance(tool_config, Mapping):
        return []
    tools = [tool.get("toolSpec", {}) for tool in tool_config.get("tools", []) if isinstance(tool, Mapping)]
    strict = [spec for spec in tools if isinstance(spec, Mapping) and spec.get("strict") is True]
    problems: list[str] = []
    optional: list[str] = []
    unions: list[str] = []
    for spec in strict:
        name = str(spec.get("name"))
        schema = spec.get("inputSchema", {}).get("json")
        problems += tool_schema_problems(schema, f"{name}.inputSchema")
        if isinstance(schema, Mapping):
            for path, node, is_required in parameters(schema, (name, "inputSchema")):
                optional += [] if is_required else [dotted(path)]
                unions += [dotted(path)] if is_union(node) else []
    if len(strict) > MAX_STRICT_TOOLS:
        problems.append(f"too many strict tools: {len(strict)}, limit: {MAX_STRICT_TOOLS}")
    if len(optional) > MAX_OPTIONAL_PARAMETERS:
        problems.append(
            f"too many optional parameters: {len(optional)}, limit: {MAX_OPTIONAL_PARAMETERS} "
            f"({optional[0]}, ...)"
        )
    if len(unions) > MAX_UNION_PARAMETERS:
        problems.append(
            f"too many parameters with union types: {len(unions)}, limit: {MAX_UNION_PARAMETERS} "
            f"({unions[0]}, ...)"
        )
    return problems
