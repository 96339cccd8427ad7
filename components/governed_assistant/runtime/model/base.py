"""The swappable parts of a model call: the Bedrock client, the clock, sleep, the usage store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

# Seconds since the epoch (``time.time``): the breaker's window, the budget's day, the latency.
Clock = Callable[[], float]
# Pauses between retries (``time.sleep``); tests pass a recorder so they never sleep.
Sleep = Callable[[float], None]
# uniform(0, cap): the full jitter of a backoff delay; tests pass ``lambda cap: cap``.
Jitter = Callable[[float], float]


class BedrockConverse(Protocol):
    """The one method of a ``boto3.client("bedrock-runtime")`` the model client uses."""

    def converse(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TokenUsage:
    """Tokens spent: by one call, or by one tenant on one day."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)


class TokenUsageStore(Protocol):
    """Where each tenant's daily token use is kept (in memory for tests, DynamoDB in AWS)."""

    def usage(self, tenant_id: str, day: date) -> TokenUsage:
        """What the tenant has spent on ``day`` (UTC); zero when nothing is recorded."""
        ...

    def record(self, tenant_id: str, day: date, usage: TokenUsage) -> TokenUsage:
        """Add ``usage`` to the tenant's total for ``day`` and return the new total."""
        ...
