"""The local stack's decision events (``.local/events.sqlite3``, what ``make trace`` reads)."""

from __future__ import annotations

from pathlib import Path

from governed_assistant.runtime.telemetry.sinks.sqlite import SqliteEventStore


class LocalEventsEraser:
    """The tenant's rows of the local events file; the freed pages are overwritten, not left readable."""

    note = "the file is rewritten, so no deleted page keeps the events"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = f"local decision events {path}"

    def count(self, tenant_id: str) -> int:
        if not self.path.exists():
            return 0
        return SqliteEventStore(self.path).count_tenant(tenant_id)

    def erase(self, tenant_id: str) -> int:
        if not self.path.exists():
            return 0
        return SqliteEventStore(self.path).delete_tenant(tenant_id)
