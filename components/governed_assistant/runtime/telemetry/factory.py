"""A recorder configured from the environment: what a handler builds once, at import time.

In a handler module, with ``GOVERNED_TELEMETRY_SINK`` one of log (default), firehose, sqlite, memory:

    RECORDER = recorder_from_env()
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from governed_assistant.runtime.telemetry.base import DecisionSink, FirehoseClient
from governed_assistant.runtime.telemetry.constants import (
    DEFAULT_SINK,
    DEFAULT_STORE_PATH,
    FIREHOSE_CLIENT_CONFIG,
    SINK_KINDS,
    SinkKind,
)
from governed_assistant.runtime.telemetry.exceptions import TelemetryConfigError
from governed_assistant.runtime.telemetry.metrics import StageMetrics
from governed_assistant.runtime.telemetry.recorder import DecisionRecorder, EventObserver
from governed_assistant.runtime.telemetry.sinks import FirehoseSink, LogSink, MemorySink, SqliteEventStore
from governed_assistant.wire import ENV_TELEMETRY_DB, ENV_TELEMETRY_SINK

# The sinks that run in AWS, where EMF lines on stdout become CloudWatch metrics.
_DEPLOYED_SINKS: frozenset[SinkKind] = frozenset({"log", "firehose"})


def resolve_sink_kind(kind: str | None = None) -> SinkKind:
    """The sink kind: ``kind``, else $GOVERNED_TELEMETRY_SINK, else ``log``."""
    resolved = (kind or os.environ.get(ENV_TELEMETRY_SINK) or DEFAULT_SINK).strip().lower()
    if resolved not in SINK_KINDS:
        raise TelemetryConfigError(
            f"Unknown telemetry sink, sink={resolved!r}, env={ENV_TELEMETRY_SINK}; "
            f"use one of {', '.join(SINK_KINDS)}"
        )
    return resolved


def sink_from_env(
    kind: str | None = None,
    *,
    delivery_stream: str | None = None,
    store_path: str | Path | None = None,
    firehose_client: FirehoseClient | None = None,
) -> DecisionSink:
    """The sink ``kind`` names; Firehose gets a short-timeout boto3 client unless one is given."""
    resolved = resolve_sink_kind(kind)
    if resolved == "firehose":
        return FirehoseSink(firehose_client or _firehose_client(), delivery_stream)
    if resolved == "sqlite":
        return SqliteEventStore(store_path or os.environ.get(ENV_TELEMETRY_DB) or DEFAULT_STORE_PATH)
    if resolved == "memory":
        return MemorySink()
    return LogSink()


def recorder_from_env(
    kind: str | None = None, *, metrics: bool | None = None, sink: DecisionSink | None = None
) -> DecisionRecorder:
    """A recorder on ``sink`` (or the sink the environment names), with EMF metrics where deployed.

    ``metrics`` defaults to on for the log and Firehose sinks and off for the local ones.
    """
    resolved = resolve_sink_kind(kind)
    if metrics is None:
        metrics = resolved in _DEPLOYED_SINKS
    observers: tuple[EventObserver, ...] = (StageMetrics(),) if metrics else ()
    return DecisionRecorder(sink or sink_from_env(resolved), observers=observers)


def _firehose_client() -> FirehoseClient:
    import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints
    from botocore.config import Config  # type: ignore[import-untyped]  # neither does botocore

    return cast(FirehoseClient, boto3.client("firehose", config=Config(**FIREHOSE_CLIENT_CONFIG)))
