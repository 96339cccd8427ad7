"""How long to wait before the next attempt: exponential backoff with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass

from governed_assistant.runtime.model.base import Jitter
from governed_assistant.runtime.model.constants import (
    DEFAULT_BASE_DELAY_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_DELAY_SECONDS,
)
from governed_assistant.runtime.model.exceptions import ModelConfigError

# Jitter spreads retries from many Lambdas apart; it protects nothing, so a fast PRNG is right.
_random = random.Random()  # noqa: S311 - jitter, not a secret


def full_jitter(cap: float) -> float:
    """A delay drawn uniformly from [0, cap]."""
    return _random.uniform(0.0, cap)


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_attempts`` calls; before attempt n+1, sleep uniform(0, min(max, base * 2**n))."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay_seconds: float = DEFAULT_BASE_DELAY_SECONDS
    max_delay_seconds: float = DEFAULT_MAX_DELAY_SECONDS

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay_seconds < 0 or self.max_delay_seconds < 0:
            raise ModelConfigError(
                f"Invalid retry policy, max_attempts={self.max_attempts}, "
                f"base_delay_seconds={self.base_delay_seconds}, max_delay_seconds={self.max_delay_seconds}; "
                "use at least one attempt and non-negative delays"
            )

    def delay(self, attempt: int, jitter: Jitter = full_jitter) -> float:
        """The pause after failed attempt ``attempt`` (1-based)."""
        cap = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return jitter(cap)
