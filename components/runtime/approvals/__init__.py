# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Approvals: one record per gated action, decided once, by someone else, before its deadline.

The approval step calls ``store.request(context, job_id, summary, task_token, expires_at)``;
approvers see ``store.pending(context, approver_roles=...)`` and ``store.decide(...)``, which
returns an ``ApprovalDecision``; ``send_decision(stepfunctions, decision)`` resumes the job.
Reads for clients return ``ApprovalView``, which has no task token.
"""

from __future__ import annotations

from components.runtime.approvals.base import ApprovalStore, Clock
from components.runtime.approvals.constants import (
    APPROVAL_REJECTED_ERROR,
    APPROVALS_TABLE_ENV,
    DEFAULT_APPROVALS_TABLE,
    approvals_table_name,
)
from components.runtime.approvals.dynamodb import DynamoDBApprovalStore
from components.runtime.approvals.exceptions import (
    ApprovalAlreadyDecidedError,
    ApprovalError,
    ApprovalExistsError,
    ApprovalExpiredError,
    ApprovalNotFoundError,
    InvalidApprovalError,
    NotApproverError,
    SeparationOfDutiesError,
)
from components.runtime.approvals.memory import InMemoryApprovalStore
from components.runtime.approvals.models import ApprovalDecision, ApprovalStatus, ApprovalView
from components.runtime.approvals.stepfunctions import send_decision
from components.runtime.approvals.store import BaseApprovalStore, is_approver

__all__ = [
    "APPROVALS_TABLE_ENV",
    "APPROVAL_REJECTED_ERROR",
    "DEFAULT_APPROVALS_TABLE",
    "ApprovalAlreadyDecidedError",
    "ApprovalDecision",
    "ApprovalError",
    "ApprovalExistsError",
    "ApprovalExpiredError",
    "ApprovalNotFoundError",
    "ApprovalStatus",
    "ApprovalStore",
    "ApprovalView",
    "BaseApprovalStore",
    "Clock",
    "DynamoDBApprovalStore",
    "InMemoryApprovalStore",
    "InvalidApprovalError",
    "NotApproverError",
    "SeparationOfDutiesError",
    "approvals_table_name",
    "is_approver",
    "send_decision",
]
