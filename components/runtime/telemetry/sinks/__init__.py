# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Where decision events go: the log (deployed default), Firehose, a SQLite file, memory."""

from __future__ import annotations

from components.runtime.telemetry.sinks.firehose import FirehoseSink
from components.runtime.telemetry.sinks.log import LogSink
from components.runtime.telemetry.sinks.memory import MemorySink
from components.runtime.telemetry.sinks.sqlite import SqliteEventStore

__all__ = ["FirehoseSink", "LogSink", "MemorySink", "SqliteEventStore"]
