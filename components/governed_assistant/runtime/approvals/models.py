"""What an approval looks like to clients, and what a decision hands the caller (the task token)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from governed_assistant.contracts import Contract

# "expired" is a denial: the deadline passed before anyone decided.
ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]


class ApprovalView(Contract):
    """An approval as clients see it. It has no task token field, so no read can leak one."""

    approval_id: str
    job_id: str
    tenant_id: str
    requested_by: str
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)
    status: ApprovalStatus
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ApprovalDecision:
    """A recorded decision and the Step Functions task token to resume the job with (server-side only)."""

    approval: ApprovalView
    task_token: str = field(repr=False)

    @property
    def approved(self) -> bool:
        return self.approval.status == "approved"

    def output(self) -> dict[str, Any]:
        """The decision as the state machine sees it (SendTaskSuccess output, SendTaskFailure cause)."""
        approval = self.approval
        return {
            "approved": self.approved,
            "approver": approval.decided_by,
            "approvalId": approval.approval_id,
            "jobId": approval.job_id,
            "tenantId": approval.tenant_id,
            "reason": approval.reason,
            "decidedAt": approval.decided_at.isoformat() if approval.decided_at else None,
        }
