"""A DecisionEvent on the wire: versioned, camelCase, OpenTelemetry GenAI names, and readable back."""

from __future__ import annotations

import json

import pytest
from governed_assistant.contracts import DECISION_EVENT_SCHEMA_VERSION
from governed_assistant.infra import decision_delivery
from governed_assistant.runtime.telemetry import EventFormatError, from_wire, to_json_line, to_wire

from tests.runtime.telemetry.telemetry_harness import make_event

MODEL_EVENT = make_event(model_id="amazon.nova-lite-v1:0", input_tokens=120, output_tokens=45)
WIRE = to_wire(MODEL_EVENT)


def test_to_wire_model_event_uses_camel_case_and_gen_ai_names() -> None:
    """The wire form uses camelCase keys and the OpenTelemetry GenAI attribute names."""
    wire = to_wire(MODEL_EVENT)
    assert wire["schemaVersion"] == DECISION_EVENT_SCHEMA_VERSION >= 1
    assert {"eventId", "jobId", "tenantId", "userId", "latencyMs", "timestamp"} <= wire.keys()
    assert wire["gen_ai.request.model"] == "amazon.nova-lite-v1:0"
    assert wire["gen_ai.usage.input_tokens"] == 120
    assert wire["gen_ai.usage.output_tokens"] == 45
    assert not {"modelId", "inputTokens", "model_id", "job_id"} & wire.keys()


def test_to_json_line_event_is_one_compact_line_matching_the_subscription_filter() -> None:
    """The log line is one JSON object whose top-level schemaVersion passes ``{ $.schemaVersion >= 1 }``."""
    line = to_json_line(MODEL_EVENT)
    assert "\n" not in line
    assert json.loads(line)["schemaVersion"] >= 1
    assert decision_delivery.DECISION_EVENT_FILTER == "{ $.schemaVersion >= 1 }"


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(to_wire(MODEL_EVENT), id="dict"),
        pytest.param(to_json_line(MODEL_EVENT), id="json-line"),
    ],
)
def test_from_wire_serialized_event_round_trips(document: dict[str, object] | str) -> None:
    """Reading the wire form back gives the same event."""
    assert from_wire(document) == MODEL_EVENT


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("not json", "not JSON", id="not-json"),
        pytest.param("[1, 2]", "not a JSON object", id="not-an-object"),
        pytest.param({**WIRE, "schemaVersion": 99}, "schemaVersion=99", id="future-version"),
        pytest.param({k: v for k, v in WIRE.items() if k != "schemaVersion"}, "None", id="no-version"),
        pytest.param({**WIRE, "latencyMs": -1}, "Not a valid decision event", id="invalid-field"),
    ],
)
def test_from_wire_foreign_document_raises_event_format_error(document: object, message: str) -> None:
    """Anything that is not a readable DecisionEvent is refused with the reason."""
    with pytest.raises(EventFormatError, match=message):
        from_wire(document)  # type: ignore[arg-type]
