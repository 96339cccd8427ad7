"""The per-tenant rate limit at the API's edge: counted before any other work, answered with 429.

The tenant is the verified token's (``TenantContext``), never the body's; its limit is its
``rate_limit`` flag, else the spec's ``limits.requests_per_minute``. A progress stream's reconnect
(``GET /jobs/{id}/events`` with ``Last-Event-ID``) costs a tenth of a request
(``governed_assistant.runtime.ratelimit.RECONNECT_UNITS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governed_assistant.contracts import TenantContext
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import ApiError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.handlers.responses import header
from governed_assistant.wire import ROUTE_JOB_EVENTS


def limit_requests(env: Environment, context: TenantContext, route: str, event: Mapping[str, Any]) -> None:
    """Spend this request's cost for the tenant; ``ApiError("rate_limited")`` with Retry-After."""
    from governed_assistant.runtime.ratelimit import RECONNECT_UNITS, REQUEST_UNITS, RateLimitExceededError

    reconnect = route == ROUTE_JOB_EVENTS and header(event, "last-event-id") is not None
    limit = tenant_limit(env, context)
    try:
        env.limiter.spend(context.tenant_id, limit, units=RECONNECT_UNITS if reconnect else REQUEST_UNITS)
    except RateLimitExceededError as error:
        LOGGER.warning("Request rate limited", extra={"limit": limit, "retryAfter": error.retry_after})
        raise ApiError(
            "rate_limited",
            f"Your tenant made more than {limit} requests this minute; retry in {error.retry_after} s",
            headers={"retry-after": str(error.retry_after)},
        ) from None


def tenant_limit(env: Environment, context: TenantContext) -> int:
    """Requests per minute for the tenant: its ``rate_limit`` flag, else the spec's default."""
    from governed_assistant.runtime.flags import FlagsConfigError  # Powertools: loaded on first use

    default = env.spec.limits.requests_per_minute
    try:
        flags = env.flags
    except FlagsConfigError as error:
        # No flags store (a bare test or local setup): the spec's limit still applies to every tenant.
        LOGGER.warning("No rollout flags; the spec's rate limit applies", extra={"problem": str(error)})
        return default
    return flags.requests_per_minute(context, default)
