# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Test helpers that generated projects and the local stack use: public, small and documented."""

from __future__ import annotations

from components.runtime.approvals import InMemoryApprovalStore
from components.runtime.gate import InMemoryOwners
from components.runtime.jobs import InMemoryJobStore
from components.testing.events import capture_events
from components.testing.tokens import TokenIssuer, identity_claims

__all__ = [
    "InMemoryApprovalStore",
    "InMemoryJobStore",
    "InMemoryOwners",
    "TokenIssuer",
    "capture_events",
    "identity_claims",
]
