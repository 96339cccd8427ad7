"""Server-sent events for a job's progress: one event per progress entry.

API Gateway HTTP APIs cannot stream, so ``GET /jobs/{id}/events`` answers with the events so
far and, while the job runs, a ``retry:`` line: the browser's EventSource reconnects after it
with ``Last-Event-ID`` and gets only what is new. The local stack streams live with the same
``format_sse``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from governed_assistant.handlers.responses import ProgressEvent
from governed_assistant.runtime.jobs import ProgressEntry

EVENT_NAME = "progress"


def parse_last_event_id(value: str | None) -> int | None:
    """The ``Last-Event-ID`` header as a sequence number; None when absent. Raises ValueError if not ours."""
    if value is None or not value.strip():
        return None
    number = int(value.strip())
    if number < 0:
        raise ValueError(f"negative event id {number}")
    return number


def format_sse(
    entries: Sequence[ProgressEntry], last_event_id: int | None = None, *, retry_ms: int | None = None
) -> str:
    """The ``text/event-stream`` body: each entry after ``last_event_id`` as ``id:``/``event:``/``data:``,
    then ``retry: <retry_ms>`` when given (the job is still running)."""
    lines: list[str] = []
    for entry in entries:
        if last_event_id is not None and entry.seq <= last_event_id:
            continue
        data = json.dumps(
            ProgressEvent.of(entry).model_dump(mode="json", by_alias=True), separators=(",", ":")
        )
        lines.append(f"id: {entry.seq}\nevent: {EVENT_NAME}\ndata: {data}\n\n")
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}\n\n")
    return "".join(lines)
