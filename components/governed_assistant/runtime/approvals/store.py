"""The approval rules, once: both backends inherit them and only supply storage primitives.

A decision is refused, in this order, when the approver holds no approver role (checked before
any read, so it reveals nothing), the approval is not in the approver's tenant (not found), it
is no longer pending, the approver is its requester (separation of duties), or its deadline has
passed (then it is recorded as expired, a denial). The final write is conditional on the record
still being pending and unexpired, so a racing second decision is refused too.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.approvals.base import Clock
from governed_assistant.runtime.approvals.constants import (
    APPROVAL_ID_PATTERN,
    MAX_REASON_CHARS,
    MAX_SUMMARY_CHARS,
)
from governed_assistant.runtime.approvals.exceptions import (
    ApprovalAlreadyDecidedError,
    ApprovalExpiredError,
    ApprovalNotFoundError,
    InvalidApprovalError,
    NotApproverError,
    SeparationOfDutiesError,
)
from governed_assistant.runtime.approvals.models import ApprovalDecision, ApprovalStatus, ApprovalView

EXPIRED_REASON = "expired before a decision"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_approver(context: TenantContext, approver_roles: Collection[str]) -> bool:
    """True if ``context`` holds at least one of the spec's approver roles."""
    return any(role in approver_roles for role in context.roles)


class BaseApprovalStore(ABC):
    """The ``ApprovalStore`` behaviour over four storage primitives a backend implements."""

    def __init__(self, *, clock: Clock = _utc_now) -> None:
        self._clock = clock

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
        approval_id = approval_id or uuid.uuid4().hex
        _require(
            APPROVAL_ID_PATTERN.fullmatch(approval_id), "approval_id", approval_id, "[A-Za-z0-9_-]{1,64}"
        )
        _require(job_id, "job_id", job_id, "must not be empty")
        _require(task_token, "task_token", "<redacted>", "must not be empty")
        _require(0 < len(summary) <= MAX_SUMMARY_CHARS, "summary", summary, f"1..{MAX_SUMMARY_CHARS} chars")
        _require(expires_at.tzinfo is not None, "expires_at", expires_at, "must carry a time zone")
        view = ApprovalView(
            approval_id=approval_id,
            job_id=job_id,
            tenant_id=context.tenant_id,
            requested_by=context.user_id,
            summary=summary,
            details=dict(details or {}),
            status="pending",
            requested_at=self._clock(),
            expires_at=expires_at,
        )
        self._insert(view, task_token)
        return view

    def get(
        self, context: TenantContext, approval_id: str, *, approver_roles: Collection[str]
    ) -> ApprovalView:
        found = self._find(context.tenant_id, approval_id)
        if found is None:
            raise ApprovalNotFoundError(approval_id)
        view, _token = found
        if view.requested_by != context.user_id and not is_approver(context, approver_roles):
            raise ApprovalNotFoundError(approval_id)
        return view

    def pending(self, context: TenantContext, *, approver_roles: Collection[str]) -> list[ApprovalView]:
        self._require_approver(context, approver_roles)
        now = self._clock()
        views = [
            view
            for view in self._list_pending(context.tenant_id)
            if view.status == "pending" and view.expires_at > now and view.requested_by != context.user_id
        ]
        return sorted(views, key=lambda view: (view.requested_at, view.approval_id))

    def decide(
        self,
        context: TenantContext,
        approval_id: str,
        approve: bool,
        reason: str | None = None,
        *,
        approver_roles: Collection[str],
    ) -> ApprovalDecision:
        self._require_approver(context, approver_roles)
        if reason is not None:
            _require(len(reason) <= MAX_REASON_CHARS, "reason", reason, f"at most {MAX_REASON_CHARS} chars")
        found = self._find(context.tenant_id, approval_id)
        if found is None:
            raise ApprovalNotFoundError(approval_id)
        view, token = found
        if view.status != "pending":
            raise ApprovalAlreadyDecidedError(approval_id, view.status)
        if view.requested_by == context.user_id:
            raise SeparationOfDutiesError(approval_id, context.user_id)
        now = self._clock()
        if now >= view.expires_at:
            self._expire(view, context, now)
        status: ApprovalStatus = "approved" if approve else "rejected"
        closed = self._close(view, status, context.user_id, now, reason, unexpired_at=now)
        if closed is None:
            # The condition failed: someone decided first, or the deadline passed in between.
            current = self._find(context.tenant_id, approval_id)
            if current is not None and current[0].status != "pending":
                raise ApprovalAlreadyDecidedError(approval_id, current[0].status)
            self._expire(view, context, now)
        return ApprovalDecision(approval=closed, task_token=token)

    def _find(self, tenant_id: str, approval_id: str) -> tuple[ApprovalView, str] | None:
        # Ids that could not be ours are simply absent: no hint, and no way to spell another key.
        if not APPROVAL_ID_PATTERN.fullmatch(approval_id):
            return None
        return self._load(tenant_id, approval_id)

    def _expire(self, view: ApprovalView, context: TenantContext, now: datetime) -> NoReturn:
        """Record the approval as expired (a denial), then refuse the decision."""
        closed = self._close(view, "expired", context.user_id, now, EXPIRED_REASON, unexpired_at=None)
        if closed is None:
            current = self._find(view.tenant_id, view.approval_id)
            if current is not None and current[0].status not in ("pending", "expired"):
                raise ApprovalAlreadyDecidedError(view.approval_id, current[0].status)
        raise ApprovalExpiredError(view.approval_id, view.expires_at.isoformat())

    @staticmethod
    def _require_approver(context: TenantContext, approver_roles: Collection[str]) -> None:
        if not is_approver(context, approver_roles):
            raise NotApproverError(context.user_id, tuple(approver_roles))

    @abstractmethod
    def _insert(self, view: ApprovalView, task_token: str) -> None:
        """Store a new pending approval; raise ``ApprovalExistsError`` if its id is taken."""

    @abstractmethod
    def _load(self, tenant_id: str, approval_id: str) -> tuple[ApprovalView, str] | None:
        """The approval and its task token, or None if the tenant has no such approval."""

    @abstractmethod
    def _list_pending(self, tenant_id: str) -> list[ApprovalView]:
        """The tenant's approvals with status pending (the caller filters deadlines and requesters)."""

    @abstractmethod
    def _close(
        self,
        view: ApprovalView,
        status: ApprovalStatus,
        decided_by: str,
        decided_at: datetime,
        reason: str | None,
        *,
        unexpired_at: datetime | None,
    ) -> ApprovalView | None:
        """Atomically set the decision if still pending (and before its deadline, if ``unexpired_at``).

        Returns the decided approval, or None when the condition failed.
        """


def _require(condition: object, field: str, value: object, rule: str) -> None:
    if not condition:
        raise InvalidApprovalError(field, value, rule)
