"""Events kept in a list: for tests and the local stack's in-process runs."""

from __future__ import annotations

import threading

from governed_assistant.contracts import DecisionEvent


class MemorySink:
    """Keeps every event in ``events``, in the order they were emitted."""

    def __init__(self) -> None:
        self.events: list[DecisionEvent] = []
        self._lock = threading.Lock()

    def emit(self, event: DecisionEvent) -> None:
        with self._lock:
            self.events.append(event)

    def flush(self) -> None:
        """Nothing to send: the events are already in ``events``."""

    def events_for_job(self, job_id: str, *, tenant_id: str | None = None) -> list[DecisionEvent]:
        with self._lock:
            chosen = [
                event
                for event in self.events
                if event.job_id == job_id and (tenant_id is None or event.tenant_id == tenant_id)
            ]
        # sorted() is stable: events with the same timestamp keep the order they were emitted in.
        return sorted(chosen, key=lambda event: event.timestamp)
