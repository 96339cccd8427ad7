"""Every tool spec the template can produce holds only what Bedrock's strict tool use accepts.

Rules from https://platform.claude.com/docs/en/build-with-claude/structured-outputs (JSON Schema
limitations, supported regex features, schema complexity limits) and
https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html (400 on an
unsupported schema; a grammar per schema, compiled on first use, cached 24 hours).
"""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.runtime.actions import action_catalog, strict_parameters_schema, tool_config
from governed_assistant.runtime.actions.strict_subset import (
    TOOL_SCHEMA_KEYWORDS,
    pattern_problem,
    tool_config_problems,
    tool_schema_problems,
)
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.spec.strict_schema import RESERVED_PARAMETER_NAMES, check_parameters_schema
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PRESETS, preset_document


def _keywords(node: Any) -> set[str]:
    """Every keyword of a schema, nested ones included (property names are not keywords)."""
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for child in node.get("properties", {}).values():
        found |= _keywords(child)
    return found | _keywords(node.get("items"))


@pytest.mark.parametrize("preset", [pytest.param(preset, id=preset) for preset in PRESETS])
def test_tool_config_every_preset_only_allow_listed_keywords(preset: str) -> None:
    """No preset's tool carries a keyword strict mode refuses (minLength, maximum, maxItems, ...)."""
    config = tool_config(parse_spec(render_spec_yaml(preset_document(preset))))
    for tool in config["tools"]:
        assert _keywords(tool["toolSpec"]["inputSchema"]["json"]) <= TOOL_SCHEMA_KEYWORDS
    assert tool_config_problems(config) == []


def test_tool_input_schema_reference_spec_passes_the_allow_list(spec: AssistantSpec) -> None:
    """The reference assistant's tools, its resourceId included, hold only allow-listed keywords."""
    assert tool_config_problems(action_catalog(spec).tool_config()) == []


@pytest.mark.parametrize(
    ("bound", "words"),
    [
        pytest.param({"type": "string", "maxLength": 500}, "at most 500 characters", id="max-length"),
        pytest.param({"type": "string", "minLength": 10}, "at least 10 characters", id="min-length"),
        pytest.param({"type": "number", "maximum": 1000}, "at most 1000", id="maximum"),
        pytest.param({"type": "integer", "exclusiveMinimum": 0}, "greater than 0", id="exclusive-minimum"),
        pytest.param(
            {"type": "array", "items": {"type": "string"}, "maxItems": 3}, "at most 3 items", id="max-items"
        ),
        pytest.param(
            {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "at least 2 items",
            id="min-items-2",
        ),
        pytest.param({"type": "string", "pattern": r"^(a)\1$"}, r"regular expression ^(a)\1$", id="backref"),
    ],
)
def test_strict_parameters_schema_dropped_bound_said_in_description(
    bound: dict[str, Any], words: str
) -> None:
    """A bound strict mode refuses leaves the schema and is said in words in the description."""
    schema = {"type": "object", "properties": {"x": {**bound, "description": "The x."}}, "required": ["x"]}
    sent = strict_parameters_schema(schema)["properties"]["x"]
    assert _keywords(sent) <= TOOL_SCHEMA_KEYWORDS
    assert sent["description"].startswith("The x. (") and words in sent["description"]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        pytest.param("^[0-9]{4}-Q[1-4]$", None, id="simple"),
        pytest.param(r"^\d+(\.\d{1,2})?$", None, id="groups-and-classes"),
        pytest.param(r"\\b", None, id="escaped-backslash-then-b"),
        pytest.param(r"^(a)\1$", "backreference", id="backreference"),
        pytest.param("^(?=a)a$", "lookahead", id="lookahead"),
        pytest.param("^(?<!a)b$", "lookbehind", id="lookbehind"),
        pytest.param(r"\bword\b", "word boundary", id="word-boundary"),
        pytest.param("^a{1,1000}$", "exceeds", id="large-repeat"),
    ],
)
def test_pattern_problem_unsupported_regex_named(pattern: str, problem: str | None) -> None:
    """Backreferences, lookaround, word boundaries and large repeats are outside the regex subset."""
    found = pattern_problem(pattern)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        pytest.param({"type": "string", "maxLength": 5}, "'maxLength'", id="max-length"),
        pytest.param({"type": "integer", "minimum": 1}, "'minimum'", id="minimum"),
        pytest.param({"type": "object", "properties": {}}, "additionalProperties", id="open-object"),
        pytest.param({"type": "string", "format": "regex"}, "format", id="format"),
        pytest.param(
            {"type": "array", "items": {"type": "string"}, "minItems": 2}, "minItems", id="min-items"
        ),
        pytest.param(
            {"type": "object", "enum": [{"a": 1}], "additionalProperties": False}, "enum", id="complex-enum"
        ),
    ],
)
def test_tool_schema_problems_keyword_outside_allow_list_refused(
    schema: dict[str, Any], fragment: str
) -> None:
    """The allow-list check names the keyword and where it is."""
    problems = tool_schema_problems(schema, "t")
    assert problems and fragment in problems[0] and problems[0].startswith("t.")


def _tools(count: int, nullable: int = 0) -> dict[str, Any]:
    properties = {f"p{index}": {"type": ["string", "null"]} for index in range(nullable)}
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    return {
        "tools": [
            {"toolSpec": {"name": f"t{i}", "inputSchema": {"json": schema}, "strict": True}}
            for i in range(count)
        ]
    }


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        pytest.param(_tools(21), "too many strict tools: 21, limit: 20", id="tools"),
        pytest.param(
            _tools(2, nullable=9), "too many parameters with union types: 18, limit: 16", id="unions-summed"
        ),
    ],
)
def test_tool_config_problems_request_limits_are_totals(config: dict[str, Any], fragment: str) -> None:
    """The limits count over all strict tools of the request, as the docs say, not per tool."""
    assert any(fragment in problem for problem in tool_config_problems(config))


# The space spec/strict_schema accepts: every type, its bounds, nullable and optional properties.
_SCALARS = st.one_of(
    st.builds(
        lambda lo, hi, fmt: {"type": "string", "minLength": lo, "maxLength": lo + hi, **fmt},
        st.integers(0, 5),
        st.integers(0, 500),
        st.sampled_from(
            [{}, {"format": "date"}, {"format": "email"}, {"pattern": "^[a-z]+$"}, {"pattern": r"^(x)\1$"}]
        ),
    ),
    st.builds(
        lambda kind, lo, hi: {
            "type": kind,
            "minimum": lo,
            "maximum": lo + hi,
            "exclusiveMaximum": lo + hi + 1,
        },
        st.sampled_from(["integer", "number"]),
        st.integers(-100, 100),
        st.integers(0, 100),
    ),
    st.just({"type": "boolean"}),
    st.just({"type": "string", "enum": ["a", "b"]}),
    st.just({"type": ["integer", "null"], "enum": [1, 2, None]}),
)


def _objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
            lambda n: n not in RESERVED_PARAMETER_NAMES
        ),
        children,
        max_size=4,
    ).flatmap(
        lambda properties: st.builds(
            lambda required: {
                "type": "object",
                "properties": properties,
                "required": [name for name in properties if name in required],
                "additionalProperties": False,
            },
            st.sets(st.sampled_from(sorted(properties) or ["_"])),
        )
    )


_SCHEMAS = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        _objects(children),
        st.builds(
            lambda items, lo, hi: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + hi},
            children,
            st.integers(0, 3),
            st.integers(0, 10),
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(_objects(_SCHEMAS))
def test_strict_parameters_schema_generated_specs_only_allow_listed(schema: dict[str, Any]) -> None:
    """Any parameters schema the spec accepts becomes a tool schema with only allow-listed keywords."""
    assert check_parameters_schema(schema, ("parameters",)) == []
    sent = strict_parameters_schema(schema)
    assert tool_schema_problems(sent, "parameters") == []
    assert _keywords(sent) <= TOOL_SCHEMA_KEYWORDS
