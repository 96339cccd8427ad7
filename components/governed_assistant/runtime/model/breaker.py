"""A circuit breaker for Bedrock calls: stop hammering a failing model, then probe it once.

closed --(failure_threshold failures within window_seconds)--> open
open --(cooldown_seconds later, one call let through)--> half-open
half-open --(the probe succeeds)--> closed;  half-open --(the probe fails)--> open again

State lives in the process (one Lambda execution environment); the settings come from the
rollout flags on each invocation, so an operator can tune them without a deployment.

``on_open`` is called each time the breaker opens (from closed, or from half-open when the
probe fails), not while it stays open: the handlers count openings as a CloudWatch metric.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from governed_assistant.runtime.model.base import Clock
from governed_assistant.runtime.model.constants import (
    DEFAULT_COOLDOWN_SECONDS,
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_WINDOW_SECONDS,
)
from governed_assistant.runtime.model.exceptions import CircuitOpenError, ModelConfigError

BreakerState = Literal["closed", "open", "half_open"]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class CircuitBreakerSettings:
    """When the breaker opens and how long it stays open; the rollout flags fill this in."""

    failure_threshold: int = DEFAULT_FAILURE_THRESHOLD
    window_seconds: float = DEFAULT_WINDOW_SECONDS
    cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.window_seconds <= 0 or self.cooldown_seconds <= 0:
            raise ModelConfigError(
                f"Invalid circuit breaker settings, failure_threshold={self.failure_threshold}, "
                f"window_seconds={self.window_seconds}, cooldown_seconds={self.cooldown_seconds}; "
                "use a threshold of at least 1 and positive durations"
            )


class CircuitBreaker:
    """Counts failures in a sliding window; open means every call fails fast with ``CircuitOpenError``."""

    def __init__(
        self,
        name: str,
        settings: CircuitBreakerSettings | None = None,
        *,
        clock: Clock = time.time,
        on_open: Callable[[CircuitBreaker], None] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or CircuitBreakerSettings()
        self.on_open = on_open
        self._clock = clock
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state(self._clock())

    def configure(self, settings: CircuitBreakerSettings) -> None:
        """Apply new settings (from the flags); the current state and failures are kept."""
        self.settings = settings

    def before_call(self) -> None:
        """Let a call through, or raise ``CircuitOpenError``; in half-open only one probe passes."""
        with self._lock:
            now = self._clock()
            state = self._state(now)
            if state == "closed":
                return
            if state == "half_open" and not self._probing:
                self._probing = True
                return
            opened_at = self._opened_at if self._opened_at is not None else now
            raise CircuitOpenError(
                model_id=self.name,
                failures=len(self._failures),
                retry_after_seconds=max(0.0, opened_at + self.settings.cooldown_seconds - now),
            )

    def record_success(self) -> None:
        """A call succeeded: close the breaker and forget past failures."""
        with self._lock:
            self._failures.clear()
            self._opened_at = None
            self._probing = False

    def release(self) -> None:
        """A call ended saying nothing about the model's health (a bad request): free the probe slot."""
        with self._lock:
            self._probing = False

    def record_failure(self) -> None:
        """A call failed in a way that counts (a throttle, an outage); may open the breaker."""
        with self._lock:
            now = self._clock()
            was = self._state(now)
            if self._probing or self._opened_at is not None:
                # A failed probe (or a call that started before the breaker opened) re-opens it.
                self._failures.append(now)
                self._open(now)
            else:
                self._failures.append(now)
                self._forget_before(now - self.settings.window_seconds)
                if len(self._failures) >= self.settings.failure_threshold:
                    self._open(now)
            opened = was != "open" and self._state(now) == "open"
        if opened:
            self._notify_open()

    def _open(self, now: float) -> None:
        self._opened_at = now
        self._probing = False

    def _notify_open(self) -> None:
        # Outside the lock (the hook may read the state), and never in the caller's way: a hook
        # that fails costs a metric, not the call that opened the breaker.
        if self.on_open is None:
            return
        try:
            self.on_open(self)
        except Exception:
            _LOGGER.exception("Circuit breaker open hook failed, model_id=%s", self.name)

    def _state(self, now: float) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if now - self._opened_at >= self.settings.cooldown_seconds:
            return "half_open"
        return "open"

    def _forget_before(self, cutoff: float) -> None:
        while self._failures and self._failures[0] < cutoff:
            self._failures.popleft()
