"""Token usage kept in a dict: tests and the local stack."""

from __future__ import annotations

import threading
from datetime import date

from governed_assistant.runtime.model.base import TokenUsage


class InMemoryTokenUsageStore:
    """Per-tenant, per-day token totals in process memory; thread-safe, lost on restart."""

    def __init__(self) -> None:
        self._totals: dict[tuple[str, date], TokenUsage] = {}
        self._lock = threading.Lock()

    def usage(self, tenant_id: str, day: date) -> TokenUsage:
        with self._lock:
            return self._totals.get((tenant_id, day), TokenUsage())

    def record(self, tenant_id: str, day: date, usage: TokenUsage) -> TokenUsage:
        with self._lock:
            total = self._totals.get((tenant_id, day), TokenUsage()) + usage
            self._totals[(tenant_id, day)] = total
            return total
