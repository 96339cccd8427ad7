"""The recorder a handler builds from the environment: log sink by default, local sinks by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from governed_assistant.runtime.telemetry import (
    FirehoseSink,
    LogSink,
    MemorySink,
    SqliteEventStore,
    StageMetrics,
    TelemetryConfigError,
    recorder_from_env,
    sink_from_env,
)
from governed_assistant.wire import ENV_TELEMETRY_DB, ENV_TELEMETRY_SINK, ENV_TELEMETRY_STREAM


@pytest.fixture(autouse=True)
def telemetry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_TELEMETRY_SINK, ENV_TELEMETRY_DB, ENV_TELEMETRY_STREAM):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(None, LogSink, id="default-log"),
        pytest.param("memory", MemorySink, id="memory"),
        pytest.param(" SQLite ", SqliteEventStore, id="sqlite-any-case"),
    ],
)
def test_sink_from_env_kind_builds_that_sink(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str | None, expected: type[Any]
) -> None:
    """$GOVERNED_TELEMETRY_SINK names the sink; without it events go to the log."""
    monkeypatch.setenv(ENV_TELEMETRY_DB, str(tmp_path / "events.sqlite3"))
    if env is not None:
        monkeypatch.setenv(ENV_TELEMETRY_SINK, env)
    assert isinstance(sink_from_env(), expected)


def test_sink_from_env_firehose_uses_given_client_and_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Firehose sink takes the stream from the environment and the client passed in."""
    monkeypatch.setenv(ENV_TELEMETRY_STREAM, "decision-events")
    sink = sink_from_env("firehose", firehose_client=object())  # type: ignore[arg-type]
    assert isinstance(sink, FirehoseSink)
    assert sink.delivery_stream == "decision-events"


def test_sink_from_env_unknown_kind_raises() -> None:
    """A misspelt sink is refused with the valid names."""
    with pytest.raises(TelemetryConfigError, match=r"sink='kafka'.*log, firehose, sqlite, memory"):
        sink_from_env("kafka")


@pytest.mark.parametrize(
    ("kind", "metrics"),
    [pytest.param("log", True, id="log-has-metrics"), pytest.param("memory", False, id="memory-none")],
)
def test_recorder_from_env_metrics_only_where_deployed(kind: str, metrics: bool) -> None:
    """EMF metrics are on for the deployed sinks and off for the local ones."""
    recorder = recorder_from_env(kind)
    assert any(isinstance(observer, StageMetrics) for observer in recorder.observers) is metrics
