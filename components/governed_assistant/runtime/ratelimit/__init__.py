"""Per-tenant request rate limits: a fixed one-minute window per tenant, counted in DynamoDB.

The API handler spends a request's cost (``RequestLimiter.spend``) right after the token's tenant is
verified and before any other work; a tenant over its limit gets ``RateLimitExceededError`` with the
seconds until its window ends. The counters live in the token usage table, beside each tenant's
token totals (partition key ``tenantId``, sort key ``requests#<window start>``), so erasing a tenant
erases them too and no query reads one tenant's counter without naming it.
"""

from __future__ import annotations

from governed_assistant.runtime.ratelimit.constants import (
    RECONNECT_UNITS,
    REQUEST_UNITS,
    WINDOW_SECONDS,
)
from governed_assistant.runtime.ratelimit.exceptions import (
    RateLimitConfigError,
    RateLimitError,
    RateLimitExceededError,
)
from governed_assistant.runtime.ratelimit.limiter import Allowance, RequestLimiter

__all__ = [
    "RECONNECT_UNITS",
    "REQUEST_UNITS",
    "WINDOW_SECONDS",
    "Allowance",
    "RateLimitConfigError",
    "RateLimitError",
    "RateLimitExceededError",
    "RequestLimiter",
]
