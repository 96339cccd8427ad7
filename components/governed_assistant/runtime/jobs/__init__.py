"""Jobs: what the user asked for, its status and stage, under a tenant-prefixed key.

The API handler ``create``s a job and ``get``s it for its tenant's user (or an admin); the
execution steps ``transition`` it (one conditional write, so a terminal job never changes) and
``set_stage`` for progress; each of those writes appends a ``ProgressEntry`` that
``get_progress`` returns with the job (the SSE stream's events). ``DynamoDBJobStore`` in AWS,
``InMemoryJobStore`` for tests and the local stack. ``governed_assistant.runtime.jobs.tables.create_tables``
builds the execution layer's tables (jobs, approvals, idempotency) in moto, moto's server or
DynamoDB Local.
"""

from __future__ import annotations

from governed_assistant.runtime.jobs.authority import proposal_digest
from governed_assistant.runtime.jobs.base import Clock, JobStore
from governed_assistant.runtime.jobs.constants import DEFAULT_JOBS_TABLE, jobs_table_name
from governed_assistant.runtime.jobs.dynamodb import DynamoDBJobStore
from governed_assistant.runtime.jobs.exceptions import (
    DecisionConflictError,
    InvalidJobKeyError,
    InvalidTransitionError,
    JobError,
    JobExistsError,
    JobNotFoundError,
)
from governed_assistant.runtime.jobs.memory import InMemoryJobStore
from governed_assistant.runtime.jobs.progress import JobProgress, ProgressEntry
from governed_assistant.runtime.jobs.transitions import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    check_transition,
    may_read,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "DEFAULT_JOBS_TABLE",
    "TERMINAL_STATUSES",
    "Clock",
    "DecisionConflictError",
    "DynamoDBJobStore",
    "InMemoryJobStore",
    "InvalidJobKeyError",
    "InvalidTransitionError",
    "JobError",
    "JobExistsError",
    "JobNotFoundError",
    "JobProgress",
    "JobStore",
    "ProgressEntry",
    "check_transition",
    "jobs_table_name",
    "may_read",
    "proposal_digest",
]
