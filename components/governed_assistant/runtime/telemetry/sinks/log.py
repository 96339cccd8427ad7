"""The deployed default: each event as one JSON line on the function's stdout.

Lambda sends stdout to the function's log group unchanged, where the observability layer's
subscription filter ``{ $.schemaVersion >= 1 }`` forwards exactly these lines to Firehose.
The Powertools Logger is not used on purpose: it would wrap the event in its own envelope.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.wire import to_json_line


class LogSink:
    """Writes one JSON line per event to ``stream`` (default: the current ``sys.stdout``)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, event: DecisionEvent) -> None:
        line = to_json_line(event) + "\n"
        stream = self._stream or sys.stdout
        # One write per line, under a lock, so that threads never interleave half lines.
        with self._lock:
            stream.write(line)
            stream.flush()

    def flush(self) -> None:
        """Nothing is buffered: each line is written and flushed as it is emitted."""
