"""Where decision events go: the log (deployed default), Firehose, a SQLite file, memory."""

from __future__ import annotations

from governed_assistant.runtime.telemetry.sinks.firehose import FirehoseSink
from governed_assistant.runtime.telemetry.sinks.log import LogSink
from governed_assistant.runtime.telemetry.sinks.memory import MemorySink
from governed_assistant.runtime.telemetry.sinks.sqlite import SqliteEventStore

__all__ = ["FirehoseSink", "LogSink", "MemorySink", "SqliteEventStore"]
