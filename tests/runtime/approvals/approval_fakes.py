"""Small fakes for the approval tests: a clock that moves when told, and the cast of users.

A module of its own (not conftest) so test modules import it by a name no other directory uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from governed_assistant.contracts import TenantContext

APPROVER_ROLES = ("approver",)
# A made-up Step Functions task token, distinctive enough to grep for in anything a client sees.
TOKEN = "AQCEAAAAKgAAAAMAAAAA-task-token-for-tests"  # noqa: S105 - a test value, not a secret


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


# Alice asks for the action; she is an approver too, which must not let her approve her own.
ALICE = context("acme", "alice", "agent", "approver")
BOB = context("acme", "bob", "approver")
CAROL = context("acme", "carol", "approver")
DAVE = context("acme", "dave", "agent")
MALLORY = context("globex", "mallory", "approver")
