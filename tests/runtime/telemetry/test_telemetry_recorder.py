"""The recorder builds one versioned event per stage and never lets telemetry fail a request."""

from __future__ import annotations

import io
import json
import logging

import pytest
from governed_assistant.contracts import DECISION_EVENT_SCHEMA_VERSION, DecisionEvent, TenantContext
from governed_assistant.runtime.telemetry import (
    SECURITY_EVENT_KEY,
    DecisionRecorder,
    LogSink,
    MemorySink,
    add_event_hook,
    remove_event_hook,
)
from pydantic import ValidationError


class BrokenSink:
    """A sink whose every call fails, like a full disk."""

    def emit(self, event: DecisionEvent) -> None:
        raise OSError("disk full")

    def flush(self) -> None:
        raise OSError("disk full")


def test_record_model_stage_builds_versioned_event_from_context(
    recorder: DecisionRecorder, sink: MemorySink, context: TenantContext
) -> None:
    """Tenant and user come from the TenantContext; the model fields and details are kept."""
    event = recorder.record(
        "job-1", context, "reason", "proposal", latency_ms=820.5,
        model_id="amazon.nova-lite-v1:0", input_tokens=120, output_tokens=45, details={"action": "refund"},
    )  # fmt: skip
    assert sink.events == [event]
    assert (event.event_id, event.schema_version) == ("evt-1", DECISION_EVENT_SCHEMA_VERSION)
    assert (event.tenant_id, event.user_id, event.job_id) == ("acme", "alice", "job-1")
    assert (event.stage, event.outcome, event.latency_ms) == ("reason", "proposal", 820.5)
    assert (event.model_id, event.input_tokens, event.output_tokens) == ("amazon.nova-lite-v1:0", 120, 45)
    assert event.details == {"action": "refund"}
    assert event.timestamp.tzinfo is not None


def test_record_unserializable_details_keeps_them_as_strings(
    recorder: DecisionRecorder, context: TenantContext
) -> None:
    """Details JSON cannot hold are recorded as their str(), so every sink can write the event."""
    event = recorder.record("job-1", context, "execute", "ok", details={"amount": 12.5, "kind": set})
    assert event.details == {"amount": 12.5, "kind": "<class 'set'>"}


@pytest.mark.parametrize(
    ("stage", "latency_ms"),
    [
        pytest.param("dance", 1.0, id="unknown-stage"),
        pytest.param("gate", -1.0, id="negative-latency"),
    ],
)
def test_record_invalid_arguments_raise(
    recorder: DecisionRecorder, context: TenantContext, stage: str, latency_ms: float
) -> None:
    """A bug in the caller raises, so the handler's tests catch it."""
    with pytest.raises(ValidationError):
        recorder.record("job-1", context, stage, "ok", latency_ms=latency_ms)  # type: ignore[arg-type]


def test_record_security_event_marks_details_and_logs_warning(
    recorder: DecisionRecorder, context: TenantContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A security event carries ``security_event: true`` and its reason, and is logged."""
    with caplog.at_level(logging.WARNING):
        event = recorder.record_security_event(
            "job-1", context, "gate", "tenant_mismatch", proposal_tenant="globex"
        )
    assert event.outcome == "deny"
    assert event.details == {
        SECURITY_EVENT_KEY: True, "reason": "tenant_mismatch", "reasons": ["tenant_mismatch"],
        "proposal_tenant": "globex",
    }  # fmt: skip
    assert "reason=tenant_mismatch" in caplog.text
    assert "tenantId=acme" in caplog.text


def test_stage_timer_block_records_latency_and_fields(sink: MemorySink, context: TenantContext) -> None:
    """The stage timer measures the block and records what was set inside it."""
    readings = iter([10.0, 10.25])
    recorder = DecisionRecorder(sink, monotonic=lambda: next(readings))
    with recorder.stage("job-1", context, "reason") as stage:
        stage.outcome = "answer"
        stage.model_id = "m"
        stage.input_tokens, stage.output_tokens = 3, 4
    assert stage.event is not None
    assert sink.events == [stage.event]
    assert (stage.event.outcome, stage.event.latency_ms, stage.event.input_tokens) == ("answer", 250.0, 3)


def test_stage_timer_exception_records_error_and_reraises(
    recorder: DecisionRecorder, sink: MemorySink, context: TenantContext
) -> None:
    """An exception in the block is recorded as outcome ``error`` and still propagates."""
    with pytest.raises(KeyError), recorder.stage("job-1", context, "execute"):
        raise KeyError("order")
    assert [(event.outcome, event.details) for event in sink.events] == [("error", {"error": "KeyError"})]


def test_record_broken_sink_counts_failure_without_raising(
    context: TenantContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing sink is logged and counted; the request goes on."""
    recorder = DecisionRecorder(BrokenSink())
    with caplog.at_level(logging.ERROR):
        event = recorder.record("job-1", context, "gate", "allow")
        recorder.flush()
    assert event.outcome == "allow"
    assert recorder.failures == 2
    assert "to=BrokenSink" in caplog.text


def test_record_hook_sees_event_before_the_sink(recorder: DecisionRecorder, context: TenantContext) -> None:
    """A registered hook receives every event; after removal it receives none."""
    seen: list[DecisionEvent] = []
    add_event_hook(seen.append)
    try:
        first = recorder.record("job-1", context, "gate", "allow")
    finally:
        remove_event_hook(seen.append)
    recorder.record("job-1", context, "execute", "ok")
    assert seen == [first]


def test_log_sink_events_are_one_json_line_each(context: TenantContext) -> None:
    """The log sink writes each event as one JSON line, as the subscription filter expects."""
    stream = io.StringIO()
    with DecisionRecorder(LogSink(stream)) as recorder:
        recorder.record("job-1", context, "guardrail_input", "pass", latency_ms=12.0)
        recorder.record("job-1", context, "reason", "answer", model_id="m", input_tokens=1, output_tokens=2)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    documents = [json.loads(line) for line in lines]
    assert all(document["schemaVersion"] >= 1 for document in documents)
    assert documents[1]["gen_ai.usage.output_tokens"] == 2


def test_log_sink_default_stream_writes_to_stdout(
    context: TenantContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a stream the log sink writes to stdout, which Lambda sends to the log group."""
    DecisionRecorder(LogSink()).record("job-1", context, "complete", "complete")
    assert json.loads(capsys.readouterr().out)["stage"] == "complete"
