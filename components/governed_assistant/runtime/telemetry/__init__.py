"""Telemetry: one versioned DecisionEvent per stage of a job, and the metrics and logs around it.

``DecisionRecorder(sink).record(job_id, context, stage, outcome, latency_ms=...)`` builds the
event (camelCase and OpenTelemetry GenAI names on the wire) and hands it to a sink: ``LogSink``
(the deployed default: one JSON line on stdout, forwarded by a subscription filter),
``FirehoseSink``, ``SqliteEventStore`` (the local stack, ``make trace``) or ``MemorySink``.
``StageMetrics`` turns the events into EMF metrics; ``bind_log_keys`` puts the tenant and job
on every Powertools log line; ``format_timeline`` prints a job's decision chain. Tests capture
the events with ``governed_assistant.testing.capture_events()``, whatever the sink.
"""

from __future__ import annotations

from governed_assistant.runtime.telemetry.base import (
    DecisionEventSource,
    DecisionSink,
    EventHook,
    FirehoseClient,
)
from governed_assistant.runtime.telemetry.constants import FIREHOSE_CLIENT_CONFIG, SECURITY_EVENT_KEY
from governed_assistant.runtime.telemetry.exceptions import EventFormatError, TelemetryConfigError
from governed_assistant.runtime.telemetry.factory import recorder_from_env, resolve_sink_kind, sink_from_env
from governed_assistant.runtime.telemetry.hooks import add_event_hook, remove_event_hook
from governed_assistant.runtime.telemetry.log_keys import bind_log_keys, bound_log_keys, log_keys
from governed_assistant.runtime.telemetry.metrics import StageMetrics
from governed_assistant.runtime.telemetry.recorder import DecisionRecorder, EventObserver, StageTimer
from governed_assistant.runtime.telemetry.sinks import FirehoseSink, LogSink, MemorySink, SqliteEventStore
from governed_assistant.runtime.telemetry.timeline import format_timeline, reasons_of
from governed_assistant.runtime.telemetry.wire import from_wire, to_json_line, to_wire

__all__ = [
    "FIREHOSE_CLIENT_CONFIG",
    "SECURITY_EVENT_KEY",
    "DecisionEventSource",
    "DecisionRecorder",
    "DecisionSink",
    "EventFormatError",
    "EventHook",
    "EventObserver",
    "FirehoseClient",
    "FirehoseSink",
    "LogSink",
    "MemorySink",
    "SqliteEventStore",
    "StageMetrics",
    "StageTimer",
    "TelemetryConfigError",
    "add_event_hook",
    "bind_log_keys",
    "bound_log_keys",
    "format_timeline",
    "from_wire",
    "log_keys",
    "reasons_of",
    "recorder_from_env",
    "remove_event_hook",
    "resolve_sink_kind",
    "sink_from_env",
    "to_json_line",
    "to_wire",
]
