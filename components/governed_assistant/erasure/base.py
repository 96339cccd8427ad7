"""What every store's eraser offers, and what an erasure reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class StoreEraser(Protocol):
    """One store: counts the tenant's data, and deletes it, scoped by key, prefix or filter."""

    @property
    def store(self) -> str:
        """What and where, e.g. ``jobs table acme-dev-jobs``."""
        ...

    @property
    def note(self) -> str:
        """What the count means or what happens next (after ``erase``); may be empty."""
        ...

    def count(self, tenant_id: str) -> int:
        """How many of the tenant's items the store holds now."""
        ...

    def erase(self, tenant_id: str) -> int:
        """Delete the tenant's items; returns how many were deleted."""
        ...


@dataclass(frozen=True)
class StoreResult:
    """One store's outcome: ``found`` before, ``erased`` (0 in a dry run), or the error that stopped it."""

    store: str
    found: int
    erased: int = 0
    note: str = ""
    error: str | None = None


@dataclass(frozen=True)
class ErasureReport:
    """Every store's outcome, in the order they ran, and what the erasure could not reach."""

    tenant_id: str
    dry_run: bool
    results: tuple[StoreResult, ...]
    retained: tuple[str, ...] = field(default_factory=tuple)
    """Where the tenant's data remains for a while (logs, backups), each with its window."""

    @property
    def ok(self) -> bool:
        return all(result.error is None for result in self.results)

    @property
    def erased(self) -> int:
        return sum(result.erased for result in self.results)

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        verb = "would erase" if self.dry_run else "erased"
        head = f"tenant {self.tenant_id}: {'dry run, nothing deleted' if self.dry_run else 'erasure'}"
        lines = [head]
        width = max((len(result.store) for result in self.results), default=0)
        for result in self.results:
            if result.error is not None:
                outcome = f"FAILED: {result.error}"
            elif self.dry_run:
                outcome = f"{verb} {result.found}"
            else:
                outcome = f"{verb} {result.erased} of {result.found}"
            lines.append(
                f"  {result.store.ljust(width)}  {outcome}{f'  ({result.note})' if result.note else ''}"
            )
        if self.retained:
            lines.append("not erased here (each ends on its own):")
            lines.extend(f"  - {text}" for text in self.retained)
        return lines
