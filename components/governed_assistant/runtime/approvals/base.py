"""The swappable approval store: DynamoDB in AWS, memory in tests and the local stack."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Protocol

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.approvals.models import ApprovalDecision, ApprovalView

# Tells the time; swap it to test deadlines without sleeping.
Clock = Callable[[], datetime]


class ApprovalStore(Protocol):
    """One approval record per gated action, scoped to its tenant; the task token never leaves it."""

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
        """Record a pending approval asked for by ``context`` (the job's requester)."""
        ...

    def get(
        self, context: TenantContext, approval_id: str, *, approver_roles: Collection[str]
    ) -> ApprovalView:
        """One approval, for its tenant's approvers and its requester; anyone else gets not-found."""
        ...

    def pending(self, context: TenantContext, *, approver_roles: Collection[str]) -> list[ApprovalView]:
        """The tenant's undecided, unexpired approvals that ``context`` may decide (not its own)."""
        ...

    def decide(
        self,
        context: TenantContext,
        approval_id: str,
        approve: bool,
        reason: str | None = None,
        *,
        approver_roles: Collection[str],
    ) -> ApprovalDecision:
        """Record the decision once; returns it with the task token to resume the job with."""
        ...
