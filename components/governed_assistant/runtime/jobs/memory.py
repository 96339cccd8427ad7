"""A job store in a dict: the same rules as DynamoDB, for tests and the local stack."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from governed_assistant.contracts import GateOutcome, Job, JobStatus, TenantContext
from governed_assistant.runtime.jobs.authority import check_approval, check_decision
from governed_assistant.runtime.jobs.base import Clock, TenantScopedReads, accepted_job
from governed_assistant.runtime.jobs.constants import INITIAL_STAGE
from governed_assistant.runtime.jobs.exceptions import JobExistsError, JobNotFoundError
from governed_assistant.runtime.jobs.progress import ProgressEntry, entries_from_records, progress_record
from governed_assistant.runtime.jobs.transitions import check_transition, is_job_id, job_pk


def _utc_now() -> datetime:
    return datetime.now(UTC)


class InMemoryJobStore(TenantScopedReads):
    """Jobs in memory under the same ``<tenant>#<job>`` keys; a lock makes each change atomic."""

    def __init__(self, *, clock: Clock = _utc_now) -> None:
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        # Appended under the same lock as each change, so the history is in write order.
        self._progress: dict[str, list[dict[str, str]]] = {}
        self._lock = threading.Lock()

    def create(self, context: TenantContext, *, stage: str = INITIAL_STAGE, job_id: str | None = None) -> Job:
        now = self._clock()
        job = accepted_job(context, stage, now, job_id)
        job_id = job.job_id
        key = job_pk(context.tenant_id, job_id)
        with self._lock:
            if key in self._jobs:
                raise JobExistsError(job_id)
            self._jobs[key] = job
            self._progress[key] = [progress_record(stage, now, "accepted")]
        return job

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
        key = job_pk(tenant_id, job_id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                raise JobNotFoundError(job_id)
            check_transition(job_id, job.status, status)
            changes: dict[str, Any] = {"status": status, "stage": stage, "updated_at": self._clock()}
            if result is not None:
                changes["result"] = dict(result)
            if error is not None:
                changes["error"] = error
            job = self._jobs[key] = job.model_copy(update=changes)
            self._progress[key].append(progress_record(stage, job.updated_at, status))
        return job

    def record_decision(self, tenant_id: str, job_id: str, decision: GateOutcome, digest: str) -> Job:
        key = job_pk(tenant_id, job_id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                raise JobNotFoundError(job_id)
            check_decision(job, decision, digest)
            changes = {"decision": decision, "proposal_digest": digest, "updated_at": self._clock()}
            job = self._jobs[key] = job.model_copy(update=changes)
        return job

    def record_approval(self, tenant_id: str, job_id: str, approval_id: str) -> Job:
        key = job_pk(tenant_id, job_id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                raise JobNotFoundError(job_id)
            check_approval(job, approval_id)
            changes = {"approval_id": approval_id, "updated_at": self._clock()}
            job = self._jobs[key] = job.model_copy(update=changes)
        return job

    def set_stage(self, tenant_id: str, job_id: str, stage: str) -> Job:
        key = job_pk(tenant_id, job_id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                raise JobNotFoundError(job_id)
            check_transition(job_id, job.status, job.status)
            job = self._jobs[key] = job.model_copy(update={"stage": stage, "updated_at": self._clock()})
            self._progress[key].append(progress_record(stage, job.updated_at))
        return job

    def list_jobs(self, tenant_id: str) -> list[Job]:
        """Every job of one tenant, oldest first (a test helper; the DynamoDB store has no such scan)."""
        with self._lock:
            jobs = [job for job in self._jobs.values() if job.tenant_id == tenant_id]
        return sorted(jobs, key=lambda job: job.created_at)

    def _find(self, tenant_id: str, job_id: str) -> Job | None:
        # Client-supplied ids that could not be ours are simply absent: no hint, no error type to probe.
        if not is_job_id(job_id):
            return None
        with self._lock:
            return self._jobs.get(job_pk(tenant_id, job_id))

    def _find_progress(self, tenant_id: str, job_id: str) -> tuple[Job, tuple[ProgressEntry, ...]] | None:
        if not is_job_id(job_id):
            return None
        key = job_pk(tenant_id, job_id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                return None
            return job, entries_from_records(self._progress.get(key, []))
