# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Telemetry: one versioned DecisionEvent per stage of a job, and the metrics and logs around it.

``DecisionRecorder(sink).record(job_id, context, stage, outcome, latency_ms=...)`` builds the
event (camelCase and OpenTelemetry GenAI names on the wire) and hands it to a sink: ``LogSink``
(the deployed default: one JSON line on stdout, forwarded by a subscription filter),
``FirehoseSink``, ``SqliteEventStore`` (the local stack, ``make trace``) or ``MemorySink``.
``StageMetrics`` turns the events into EMF metrics; ``bind_log_keys`` puts the tenant and job
on every Powertools log line; ``format_timeline`` prints a job's decision chain. Tests capture
the events with ``components.testing.capture_events()``, whatever the sink.
"""

from __future__ import annotations

from components.runtime.telemetry.base import DecisionEventSource, DecisionSink, EventHook, FirehoseClient
from components.runtime.telemetry.constants import (
    FIREHOSE_CLIENT_CONFIG,
    METRIC_INPUT_TOKENS,
    METRIC_OUTPUT_TOKENS,
    METRIC_STAGE_LATENCY,
    SECURITY_EVENT_KEY,
)
from components.runtime.telemetry.exceptions import EventFormatError, TelemetryConfigError
from components.runtime.telemetry.factory import recorder_from_env, resolve_sink_kind, sink_from_env
from components.runtime.telemetry.hooks import add_event_hook, remove_event_hook
from components.runtime.telemetry.log_keys import bind_log_keys, bound_log_keys, log_keys
from components.runtime.telemetry.metrics import StageMetrics
from components.runtime.telemetry.recorder import DecisionRecorder, EventObserver, StageTimer
from components.runtime.telemetry.sinks import FirehoseSink, LogSink, MemorySink, SqliteEventStore
from components.runtime.telemetry.timeline import format_timeline, reasons_of
from components.runtime.telemetry.wire import from_wire, to_json_line, to_wire

__all__ = [
    "FIREHOSE_CLIENT_CONFIG",
    "METRIC_INPUT_TOKENS",
    "METRIC_OUTPUT_TOKENS",
    "METRIC_STAGE_LATENCY",
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
