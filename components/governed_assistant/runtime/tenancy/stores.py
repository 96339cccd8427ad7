"""Job and approval stores that reach DynamoDB as the tenant they are asked about.

Each call names its tenant (a ``TenantContext`` or a ``tenant_id``); the store for that call is
the DynamoDB store on ``TenantSessions``' client for that same tenant, so the key the store
writes and the credentials IAM checks it against always name one tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from governed_assistant.contracts import GateOutcome, Job, JobStatus, TenantContext
from governed_assistant.runtime.approvals import ApprovalDecision, ApprovalView, DynamoDBApprovalStore
from governed_assistant.runtime.jobs import DynamoDBJobStore, JobProgress
from governed_assistant.runtime.jobs.constants import INITIAL_STAGE
from governed_assistant.runtime.tenancy.sessions import TenantSessions


class TenantScopedJobStore:
    """A ``JobStore``: each call runs on a ``DynamoDBJobStore`` whose client acts as the call's tenant."""

    def __init__(
        self, sessions: TenantSessions, build: Callable[[Any], DynamoDBJobStore] = DynamoDBJobStore
    ) -> None:
        self._sessions = sessions
        self._build = build

    def _as(self, tenant_id: str) -> DynamoDBJobStore:
        return self._build(self._sessions.client(tenant_id, "dynamodb"))

    def create(self, context: TenantContext, *, stage: str = INITIAL_STAGE, job_id: str | None = None) -> Job:
        return self._as(context.tenant_id).create(context, stage=stage, job_id=job_id)

    def get(self, context: TenantContext, job_id: str, *, admin_roles: Collection[str] = ()) -> Job:
        return self._as(context.tenant_id).get(context, job_id, admin_roles=admin_roles)

    def load(self, tenant_id: str, job_id: str) -> Job:
        return self._as(tenant_id).load(tenant_id, job_id)

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
        return self._as(tenant_id).transition(tenant_id, job_id, status, stage, result=result, error=error)

    def record_decision(self, tenant_id: str, job_id: str, decision: GateOutcome, digest: str) -> Job:
        return self._as(tenant_id).record_decision(tenant_id, job_id, decision, digest)

    def record_approval(self, tenant_id: str, job_id: str, approval_id: str) -> Job:
        return self._as(tenant_id).record_approval(tenant_id, job_id, approval_id)

    def set_stage(self, tenant_id: str, job_id: str, stage: str) -> Job:
        return self._as(tenant_id).set_stage(tenant_id, job_id, stage)

    def get_progress(
        self, context: TenantContext, job_id: str, *, admin_roles: Collection[str] = ()
    ) -> JobProgress:
        return self._as(context.tenant_id).get_progress(context, job_id, admin_roles=admin_roles)


class TenantScopedApprovalStore:
    """An ``ApprovalStore``: each call runs on a ``DynamoDBApprovalStore`` acting as the call's tenant."""

    def __init__(
        self, sessions: TenantSessions, build: Callable[[Any], DynamoDBApprovalStore] = DynamoDBApprovalStore
    ) -> None:
        self._sessions = sessions
        self._build = build

    def _as(self, tenant_id: str) -> DynamoDBApprovalStore:
        return self._build(self._sessions.client(tenant_id, "dynamodb"))

    def request(
        self,
        context: TenantContext,
        job_id: str,
        summary: str,
        task_token: str,
        expires_at: datetime,
        *,
        details: Mapping[str, Any] | None = None,
        approval_id: str | None = None,
    ) -> ApprovalView:
        return self._as(context.tenant_id).request(
            context, job_id, summary, task_token, expires_at, details=details, approval_id=approval_id
        )

    def get(
        self, context: TenantContext, approval_id: str, *, approver_roles: Collection[str]
    ) -> ApprovalView:
        return self._as(context.tenant_id).get(context, approval_id, approver_roles=approver_roles)

    def pending(self, context: TenantContext, *, approver_roles: Collection[str]) -> list[ApprovalView]:
        return self._as(context.tenant_id).pending(context, approver_roles=approver_roles)

    def decide(
        self,
        context: TenantContext,
        approval_id: str,
        approve: bool,
        reason: str | None = None,
        *,
        approver_roles: Collection[str],
    ) -> ApprovalDecision:
        return self._as(context.tenant_id).decide(
            context, approval_id, approve, reason, approver_roles=approver_roles
        )
