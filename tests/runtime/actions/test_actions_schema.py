"""Each spec action becomes one strict Bedrock tool whose schema is closed, all-required, tenant-free."""

from __future__ import annotations

import gc
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from governed_assistant.runtime.actions import (
    ActionSchemaError,
    action_catalog,
    strict_parameters_schema,
    tool_config,
)
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import PRESETS, preset_document


def _preset_spec(preset: str) -> AssistantSpec:
    return parse_spec(render_spec_yaml(preset_document(preset)))


def _objects(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object schema in ``node``, nested ones included."""
    found = [node] if "properties" in node else []
    for child in node.get("properties", {}).values():
        found += _objects(child)
    if "items" in node:
        found += _objects(node["items"])
    return found


@pytest.mark.parametrize("preset", [pytest.param(preset, id=preset) for preset in PRESETS])
def test_tool_config_every_preset_is_a_valid_converse_request(preset: str) -> None:
    """botocore's bedrock-runtime model accepts the toolConfig of every preset, strict on each tool."""
    spec = _preset_spec(preset)
    config = tool_config(spec)
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    request = {"modelId": spec.model_id, "messages": [], "toolConfig": config}
    report = ParamValidator().validate(request, model.operation_model("Converse").input_shape)
    assert not report.has_errors(), report.generate_report()
    assert [tool["toolSpec"]["name"] for tool in config["tools"]] == [action.name for action in spec.actions]
    assert all(tool["toolSpec"]["strict"] is True for tool in config["tools"])


@pytest.mark.parametrize("preset", [pytest.param(preset, id=preset) for preset in PRESETS])
def test_tool_input_schema_every_object_closed_and_all_required(preset: str) -> None:
    """At every object level: additionalProperties false and every property listed in required."""
    for tool in tool_config(_preset_spec(preset))["tools"]:
        for node in _objects(tool["toolSpec"]["inputSchema"]["json"]):
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])


def test_tool_input_schema_tenant_free_string_not_pinned(spec: AssistantSpec) -> None:
    """tenantId is a plain string: no tenant's value is in the schema, the gate compares the claim."""
    schema = action_catalog(spec)["issue_refund"].tool_spec()["toolSpec"]["inputSchema"]["json"]
    assert schema["required"] == ["resourceId", "tenantId", "parameters"]
    assert schema["properties"]["tenantId"] == {
        "type": "string",
        "description": "The tenant of the conversation, exactly as the conversation names it.",
    }
    assert "tenantId" not in schema["properties"]["parameters"]["properties"]


@pytest.mark.parametrize(
    ("optional", "expected"),
    [
        pytest.param({"type": "string"}, {"type": ["string", "null"]}, id="scalar"),
        pytest.param({"type": ["integer", "null"]}, {"type": ["integer", "null"]}, id="already-nullable"),
        pytest.param(
            {"type": "string", "enum": ["a", "b"]},
            {"type": ["string", "null"], "enum": ["a", "b", None]},
            id="enum-gains-null",
        ),
        pytest.param(
            {"type": "object", "properties": {"x": {"type": "number"}}},
            {
                "type": ["object", "null"],
                "properties": {"x": {"type": ["number", "null"]}},
                "required": ["x"],
                "additionalProperties": False,
            },
            id="nested-object",
        ),
    ],
)
def test_strict_parameters_schema_optional_property_made_nullable_and_required(
    optional: dict[str, Any], expected: dict[str, Any]
) -> None:
    """An optional property becomes required and nullable; a required one keeps its type."""
    schema = {
        "type": "object",
        "properties": {"kept": {"type": "string"}, "optional": optional},
        "required": ["kept"],
    }
    strict = strict_parameters_schema(schema)
    assert strict["properties"] == {"kept": {"type": "string"}, "optional": expected}
    assert strict["required"] == ["kept", "optional"]
    assert strict["additionalProperties"] is False
    assert "required" in schema and schema["required"] == ["kept"], "the input schema is not modified"


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        pytest.param({"type": "array"}, '"type": "object"', id="not-an-object"),
        pytest.param(
            {"type": "object", "properties": {"tenantId": {"type": "string"}}}, "reserved", id="reserved-name"
        ),
        pytest.param(
            {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": True},
            "closed",
            id="open-object",
        ),
    ],
)
def test_strict_parameters_schema_outside_subset_raises(schema: dict[str, Any], fragment: str) -> None:
    """A schema the strict subset refuses raises ActionSchemaError naming the action and the problem."""
    with pytest.raises(ActionSchemaError, match=fragment) as raised:
        strict_parameters_schema(schema, action="do_it")
    assert "action=do_it" in str(raised.value)


def test_action_catalog_same_spec_built_once(spec: AssistantSpec) -> None:
    """The catalog is cached per spec object, so the gate builds the models once per cold start."""
    assert action_catalog(spec) is action_catalog(spec)
    assert set(action_catalog(spec)) == {action.name for action in spec.actions}


def test_action_catalog_spec_collected_cache_entry_dropped() -> None:
    """The cache keeps no catalog alive after its spec is gone."""
    from governed_assistant.runtime.actions import contract

    spec = _preset_spec("workflow-aware")
    action_catalog(spec)
    key = id(spec)
    del spec
    # Collection can run weakref callbacks that free more; a few passes settle it.
    for _ in range(3):
        gc.collect()
    assert key not in contract._CATALOGS
