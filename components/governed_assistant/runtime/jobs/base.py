"""The swappable job store: DynamoDB in AWS, memory in tests and the local stack."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Protocol

from governed_assistant.contracts import GateOutcome, Job, JobStatus, TenantContext
from governed_assistant.runtime.jobs.exceptions import JobNotFoundError
from governed_assistant.runtime.jobs.progress import JobProgress, ProgressEntry
from governed_assistant.runtime.jobs.transitions import may_read

# Tells the time; swap it to test retention and ordering without sleeping.
Clock = Callable[[], datetime]


def accepted_job(context: TenantContext, stage: str, now: datetime, job_id: str | None = None) -> Job:
    """A new job, accepted at ``now``, owned by the context's tenant, user and verified roles."""
    return Job(
        job_id=job_id or uuid.uuid4().hex,
        tenant_id=context.tenant_id,
        user_id=context.user_id,
        roles=context.roles,
        status="accepted",
        stage=stage,
        created_at=now,
        updated_at=now,
    )


class JobStore(Protocol):
    """Records jobs under tenant-prefixed keys and moves them through their statuses."""

    def create(self, context: TenantContext, *, stage: str = ..., job_id: str | None = None) -> Job:
        """Record a new job for ``context`` with status ``accepted``; raises ``JobExistsError``."""
        ...

    def get(self, context: TenantContext, job_id: str, *, admin_roles: Collection[str] = ()) -> Job:
        """The job, if ``context`` may read it (its tenant, and its user or an admin role).

        Anything else, another tenant's job included, raises ``JobNotFoundError``: a caller
        cannot tell a job it may not read from one that does not exist.
        """
        ...

    def load(self, tenant_id: str, job_id: str) -> Job:
        """The job, for server-side steps that hold the tenant but no user (the gate); never for clients."""
        ...

    def transition(
        self,
        tenant_id: str,
        job_id: str,
        status: JobStatus,
        stage: str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> Job:
        """Move the job to ``status`` at ``stage`` in one conditional write; returns the job after it.

        Raises ``InvalidTransitionError`` if the job's status (read atomically with the write)
        does not allow it, and ``JobNotFoundError`` if the tenant has no such job.
        """
        ...

    def record_decision(self, tenant_id: str, job_id: str, decision: GateOutcome, digest: str) -> Job:
        """Record the gate's ``decision`` for the proposal whose ``proposal_digest`` is ``digest``.

        One conditional write. Raises ``DecisionConflictError`` if the job is neither accepted nor
        processing, or holds another decision or digest (the same ones again are a no-op), and
        ``JobNotFoundError`` if the tenant has no such job.
        """
        ...

    def record_approval(self, tenant_id: str, job_id: str, approval_id: str) -> Job:
        """Record the approval the job asked for; only for a running job whose decision is ``approve``.

        Raises ``DecisionConflictError`` otherwise (or if it already names another approval).
        """
        ...

    def set_stage(self, tenant_id: str, job_id: str, stage: str) -> Job:
        """Record progress (``"execute:2/3"``) without changing the status; refused once terminal."""
        ...

    def get_progress(
        self, context: TenantContext, job_id: str, *, admin_roles: Collection[str] = ()
    ) -> JobProgress:
        """The job and its progress entries, under the same read rule as ``get``."""
        ...


class TenantScopedReads(ABC):
    """The read rule, once for every backend: a job is found only under its tenant's key.

    Another tenant's job, and a same-tenant job the reader may not see, are both "not
    found": a reader never learns that a job it cannot read exists.
    """

    @abstractmethod
    def _find(self, tenant_id: str, job_id: str) -> Job | None:
        """The job stored under ``<tenant_id>#<job_id>``, or None."""

    def get(self, context: TenantContext, job_id: str, *, admin_roles: Collection[str] = ()) -> Job:
        job = self._find(context.tenant_id, job_id)
        if job is None or not may_read(context, job.tenant_id, job.user_id, admin_roles):
            raise JobNotFoundError(job_id)
        return job

    def load(self, tenant_id: str, job_id: str) -> Job:
        job = self._find(tenant_id, job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    @abstractmethod
    def _find_progress(self, tenant_id: str, job_id: str) -> tuple[Job, tuple[ProgressEntry, ...]] | None:
        """The job under ``<tenant_id>#<job_id>`` and its progress entries, or None."""

    def get_progress(
        self, context: TenantContext, job_id: str, *, admin_roles: Collection[str] = ()
    ) -> JobProgress:
        found = self._find_progress(context.tenant_id, job_id)
        if found is None or not may_read(context, found[0].tenant_id, found[0].user_id, admin_roles):
            raise JobNotFoundError(job_id)
        return JobProgress(found[0], found[1])
