"""Errors of the per-tenant rate limit."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class RateLimitError(GovernanceError):
    """When the rate limit refuses a request or cannot count it."""


class RateLimitConfigError(RateLimitError):
    """When the limiter has no table to count in, or is asked for a limit below one request."""


class RateLimitExceededError(RateLimitError):
    """When a tenant has made more requests in the current window than its limit allows."""

    kind = "throttled"

    def __init__(self, tenant_id: str, limit: int, retry_after: int) -> None:
        self.tenant_id = tenant_id
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(
            f"Too many requests, tenant={tenant_id} limit={limit}/min; retry in {retry_after} s "
            "(an operator can raise the tenant's limit with the rate_limit flag)"
        )
