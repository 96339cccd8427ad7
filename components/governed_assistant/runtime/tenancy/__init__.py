"""Tenant-scoped credentials for the request path, and the stores that use them."""

from __future__ import annotations

from governed_assistant.runtime.tenancy.sessions import SESSION_SECONDS, TenantSessionError, TenantSessions
from governed_assistant.runtime.tenancy.stores import TenantScopedApprovalStore, TenantScopedJobStore

__all__ = [
    "SESSION_SECONDS",
    "TenantScopedApprovalStore",
    "TenantScopedJobStore",
    "TenantSessionError",
    "TenantSessions",
]
