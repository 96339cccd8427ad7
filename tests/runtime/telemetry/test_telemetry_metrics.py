"""Stage metrics go out as EMF by service and stage; a tenant dimension only when asked for."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.telemetry import DecisionRecorder, MemorySink, StageMetrics
from governed_assistant.wire import (
    DEFAULT_METRICS_NAMESPACE,
    ENV_METRICS_NAMESPACE,
    ENV_METRICS_TENANT_DIMENSION,
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE_NAME,
)

from tests.runtime.telemetry.telemetry_harness import make_event

MODEL_EVENT = make_event(stage="reason", latency_ms=820.0, model_id="m", input_tokens=120, output_tokens=45)


@pytest.fixture(autouse=True)
def metrics_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        ENV_METRICS_NAMESPACE,
        ENV_POWERTOOLS_METRICS_NAMESPACE,
        ENV_METRICS_TENANT_DIMENSION,
        ENV_POWERTOOLS_SERVICE_NAME,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)


def _documents(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _definition(document: dict[str, Any]) -> tuple[str, list[set[str]], list[str]]:
    (metrics,) = document["_aws"]["CloudWatchMetrics"]
    return (
        metrics["Namespace"],
        [set(dimensions) for dimensions in metrics["Dimensions"]],
        [metric["Name"] for metric in metrics["Metrics"]],
    )


def test_stage_metrics_model_event_emits_latency_and_tokens_by_stage() -> None:
    """One EMF line: latency and tokens by service and stage; tenant and job as properties only."""
    stream = io.StringIO()
    StageMetrics("Governed/test", "refunds", stream=stream).observe(MODEL_EVENT)
    (document,) = _documents(stream)
    assert _definition(document) == (
        "Governed/test",
        [{"service", "stage"}],
        ["StageLatency", "InputTokens", "OutputTokens"],
    )
    assert (document["service"], document["stage"]) == ("refunds", "reason")
    assert document["StageLatency"] == [820.0]
    assert (document["InputTokens"], document["OutputTokens"]) == ([120.0], [45.0])
    assert (document["tenantId"], document["jobId"], document["modelId"]) == ("acme", "job-1", "m")


@pytest.mark.parametrize(
    ("powertools", "ours", "expected"),
    [
        pytest.param("Governed/pt", "Governed/ours", "Governed/pt", id="powertools-wins"),
        pytest.param(None, "Governed/ours", "Governed/ours", id="pre-0.5-variable"),
        pytest.param(None, None, DEFAULT_METRICS_NAMESPACE, id="default"),
    ],
)
def test_stage_metrics_namespace_prefers_powertools_variable_then_the_older_one(
    monkeypatch: pytest.MonkeyPatch, powertools: str | None, ours: str | None, expected: str
) -> None:
    """POWERTOOLS_METRICS_NAMESPACE names the namespace; GOVERNED_METRICS_NAMESPACE still does without it."""
    for name, value in ((ENV_POWERTOOLS_METRICS_NAMESPACE, powertools), (ENV_METRICS_NAMESPACE, ours)):
        if value is not None:
            monkeypatch.setenv(name, value)
    stream = io.StringIO()
    StageMetrics(stream=stream).observe(MODEL_EVENT)
    (document,) = _documents(stream)
    assert _definition(document)[0] == expected


def test_stage_metrics_env_configuration_sets_namespace_service_and_tenant_dimension(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Namespace, service and the per-tenant opt-in come from the environment."""
    monkeypatch.setenv(ENV_POWERTOOLS_METRICS_NAMESPACE, "Governed/prod")
    monkeypatch.setenv(ENV_POWERTOOLS_SERVICE_NAME, "refunds")
    monkeypatch.setenv(ENV_METRICS_TENANT_DIMENSION, "true")
    stream = io.StringIO()
    StageMetrics(stream=stream).observe(MODEL_EVENT)
    stage_document, tenant_document = _documents(stream)
    assert _definition(stage_document)[0] == "Governed/prod"
    assert _definition(tenant_document) == (
        "Governed/prod",
        [{"service", "tenantId"}],
        ["InputTokens", "OutputTokens"],
    )
    assert (tenant_document["service"], tenant_document["tenantId"]) == ("refunds", "acme")


@pytest.mark.parametrize(
    ("tenant_dimension", "event", "lines"),
    [
        pytest.param(False, MODEL_EVENT, 1, id="off-model-event"),
        pytest.param(True, MODEL_EVENT, 2, id="on-model-event"),
        pytest.param(True, make_event(stage="gate"), 1, id="on-no-tokens"),
    ],
)
def test_stage_metrics_tenant_dimension_adds_a_line_only_for_model_calls(
    tenant_dimension: bool, event: Any, lines: int
) -> None:
    """The per-tenant token line is opt-in and only written when the stage used tokens."""
    stream = io.StringIO()
    StageMetrics("ns", "svc", tenant_dimension=tenant_dimension, stream=stream).observe(event)
    assert len(_documents(stream)) == lines


def test_stage_metrics_defaults_namespace_and_service() -> None:
    """Without configuration the namespace and service fall back to the template's defaults."""
    metrics = StageMetrics()
    assert (metrics.namespace, metrics.service, metrics.tenant_dimension) == (
        "GovernedAssistant", "governed-assistant", False,
    )  # fmt: skip


def test_stage_metrics_powertools_disabled_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """POWERTOOLS_METRICS_DISABLED switches the metrics off, as for the rest of Powertools."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    stream = io.StringIO()
    StageMetrics("ns", "svc", stream=stream).observe(MODEL_EVENT)
    assert stream.getvalue() == ""


def test_recorder_with_metrics_observer_writes_event_and_metrics(context: TenantContext) -> None:
    """A recorder with StageMetrics writes the metrics for every event it records."""
    stream = io.StringIO()
    sink = MemorySink()
    recorder = DecisionRecorder(sink, observers=(StageMetrics("ns", "svc", stream=stream),))
    recorder.record("job-1", context, "gate", "allow", latency_ms=3.0)
    (document,) = _documents(stream)
    assert (document["stage"], document["StageLatency"], len(sink.events)) == ("gate", [3.0], 1)


@pytest.mark.parametrize("stage", ["guardrail_input", "guardrail_output"])
def test_stage_metrics_blocked_guardrail_counts_guardrail_blocked_by_service_alone(stage: str) -> None:
    """A blocked input or output adds one GuardrailBlocked count whose only dimension is service."""
    stream = io.StringIO()
    StageMetrics("Governed/test", "refunds", stream=stream).observe(
        make_event(stage=stage, outcome="blocked")
    )
    _, blocked = _documents(stream)
    assert _definition(blocked) == ("Governed/test", [{"service"}], ["GuardrailBlocked"])
    assert blocked["GuardrailBlocked"] == [1.0] and blocked["service"] == "refunds"


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [
        pytest.param("guardrail_input", "passed", id="input-passed"),
        pytest.param("guardrail_output", "anonymized", id="output-anonymized"),
        pytest.param("gate", "blocked", id="not-a-guardrail-stage"),
    ],
)
def test_stage_metrics_other_events_count_no_guardrail_block(stage: str, outcome: str) -> None:
    """Only a guardrail stage that blocked counts; everything else writes its stage line alone."""
    stream = io.StringIO()
    StageMetrics("Governed/test", "refunds", stream=stream).observe(make_event(stage=stage, outcome=outcome))
    assert [_definition(document)[2] for document in _documents(stream)] == [["StageLatency"]]


def test_stage_metrics_breaker_opened_counts_one_opening_by_service_alone() -> None:
    """A breaker opening is one CircuitBreakerOpen by service; the model is a property, not a dimension."""
    stream = io.StringIO()
    StageMetrics("Governed/test", "refunds", stream=stream).breaker_opened("m")
    (document,) = _documents(stream)
    assert _definition(document) == ("Governed/test", [{"service"}], ["CircuitBreakerOpen"])
    assert (document["service"], document["modelId"], document["CircuitBreakerOpen"]) == (
        "refunds",
        "m",
        [1.0],
    )


def test_stage_metrics_breaker_opened_powertools_disabled_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """POWERTOOLS_METRICS_DISABLED silences the breaker's count as it does the stage metrics."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    stream = io.StringIO()
    StageMetrics("Governed/test", "refunds", stream=stream).breaker_opened("m")
    assert stream.getvalue() == ""
