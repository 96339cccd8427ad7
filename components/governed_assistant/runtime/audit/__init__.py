"""Audit evidence: each decided approval as an immutable record in the stack's audit archive."""

from governed_assistant.runtime.audit.archive import (
    APPROVALS_PREFIX,
    ApprovalArchive,
    AuditArchiveError,
    approval_key,
    approval_record,
)

__all__ = ["APPROVALS_PREFIX", "ApprovalArchive", "AuditArchiveError", "approval_key", "approval_record"]
