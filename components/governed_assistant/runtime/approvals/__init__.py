"""Approvals: one record per gated action, decided once, by someone else, before its deadline.

The approval step calls ``store.request(context, job_id, summary, task_token, expires_at)``;
approvers see ``store.pending(context, approver_roles=...)`` and ``store.decide(...)``, which
returns an ``ApprovalDecision``; ``send_decision(stepfunctions, decision)`` resumes the job.
Reads for clients return ``ApprovalView``, which has no task token.
"""

from __future__ import annotations

from governed_assistant.runtime.approvals.base import ApprovalStore, Clock
from governed_assistant.runtime.approvals.constants import DEFAULT_APPROVALS_TABLE, approvals_table_name
from governed_assistant.runtime.approvals.dynamodb import DynamoDBApprovalStore
from governed_assistant.runtime.approvals.exceptions import (
    ApprovalAlreadyDecidedError,
    ApprovalError,
    ApprovalExistsError,
    ApprovalExpiredError,
    ApprovalNotFoundError,
    InvalidApprovalError,
    NotApproverError,
    SeparationOfDutiesError,
)
from governed_assistant.runtime.approvals.memory import InMemoryApprovalStore
from governed_assistant.runtime.approvals.models import ApprovalDecision, ApprovalStatus, ApprovalView
from governed_assistant.runtime.approvals.stepfunctions import send_decision
from governed_assistant.runtime.approvals.store import BaseApprovalStore, is_approver

__all__ = [
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
