"""``RequestLimiter``: one atomic ``UpdateItem ADD`` per request on the tenant's window counter."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from governed_assistant.runtime.ratelimit.constants import (
    COUNTER_GRACE_SECONDS,
    COUNTER_PREFIX,
    REQUEST_UNITS,
    WINDOW_SECONDS,
)
from governed_assistant.runtime.ratelimit.exceptions import RateLimitConfigError, RateLimitExceededError
from governed_assistant.wire import ENV_USAGE_TABLE


class DynamoDBClient(Protocol):
    """The one method of a ``boto3.client("dynamodb")`` the limiter uses."""

    def update_item(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Allowance:
    """What a spent request left: units used in this window of ``limit`` requests' worth."""

    tenant_id: str
    used_units: int
    limit: int
    window_start: int


class RequestLimiter:
    """Counts each tenant's requests per fixed window in the token usage table ($GOVERNED_USAGE_TABLE)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        resolved = table_name or os.environ.get(ENV_USAGE_TABLE)
        if not resolved:
            raise RateLimitConfigError(
                f"No table to count requests in, table_name=None, env={ENV_USAGE_TABLE}; pass "
                f"table_name or set {ENV_USAGE_TABLE} to the token usage table the stack creates"
            )
        self.table_name = resolved
        self._client = client
        self._clock = clock

    def spend(self, tenant_id: str, limit: int, *, units: int = REQUEST_UNITS) -> Allowance:
        """Count ``units`` against ``tenant_id``'s window; ``RateLimitExceededError`` past ``limit`` requests.

        The add is atomic, so concurrent functions never lose a count; a refused request is counted
        too (it reached us), which only makes a flooding tenant wait for the next window.
        """
        if limit < 1:
            raise RateLimitConfigError(f"A rate limit must allow at least one request, limit={limit}")
        now = self._clock()
        window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        window_end = window_start + WINDOW_SECONDS
        response = self._client.update_item(
            TableName=self.table_name,
            Key={"tenantId": {"S": tenant_id}, "day": {"S": f"{COUNTER_PREFIX}{window_start}"}},
            UpdateExpression="ADD requestUnits :units SET expiresAt = :expires",
            ExpressionAttributeValues={
                ":units": {"N": str(units)},
                ":expires": {"N": str(window_end + COUNTER_GRACE_SECONDS)},
            },
            ReturnValues="UPDATED_NEW",
        )
        used = int(response["Attributes"]["requestUnits"]["N"])
        if used > limit * REQUEST_UNITS:
            raise RateLimitExceededError(tenant_id, limit, max(1, math.ceil(window_end - now)))
        return Allowance(tenant_id, used, limit, window_start)
