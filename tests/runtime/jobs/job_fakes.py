"""Small fakes for the job tests: a clock that moves when told, and contexts built in one line.

A module of its own (not conftest) so test modules import it by a name no other directory uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from governed_assistant.contracts import TenantContext

ADMIN_ROLES = ("tenant-admin",)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def context(tenant: str, user: str, *roles: str) -> TenantContext:
    return TenantContext(tenant_id=tenant, user_id=user, roles=roles, request_id=f"req-{user}")
