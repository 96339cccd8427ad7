"""A job's progress: one entry per status change or stage update, in the order they happened.

Every ``create``, ``transition`` and ``set_stage`` appends an entry atomically with its write
(DynamoDB ``list_append`` in the same ``UpdateItem``), so the list is the job's history as the
user may follow it (``GET /jobs/{id}/events``). An entry's ``seq`` is its 1-based position:
stable, increasing, and what an SSE client sends back as ``Last-Event-ID``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governed_assistant.contracts import Job, JobStatus


@dataclass(frozen=True)
class ProgressEntry:
    """One step of a job's history: its status and stage from ``at`` on."""

    seq: int
    status: JobStatus
    stage: str
    at: datetime


@dataclass(frozen=True)
class JobProgress:
    """A job as its reader may see it, with every progress entry so far."""

    job: Job
    entries: tuple[ProgressEntry, ...]


def entries_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[ProgressEntry, ...]:
    """Entries from stored records ``{"status"?, "stage", "at"}``, numbered from 1.

    A stage update does not read the job, so its record has no status; it keeps the status of
    the entry before it (``set_stage`` never changes the status, and entries are ordered).
    """
    entries: list[ProgressEntry] = []
    status: JobStatus = "accepted"
    for index, record in enumerate(records, start=1):
        status = record.get("status") or status
        entries.append(
            ProgressEntry(
                seq=index, status=status, stage=str(record["stage"]), at=datetime.fromisoformat(record["at"])
            )
        )
    return tuple(entries)


def progress_record(stage: str, at: datetime, status: JobStatus | None = None) -> dict[str, str]:
    """What the stores keep per entry (the sequence number is the position, so it is not stored)."""
    record = {"stage": stage, "at": at.isoformat()}
    if status is not None:
        record["status"] = status
    return record
