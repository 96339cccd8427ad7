"""``DecisionRecorder``: one versioned DecisionEvent per stage of a job, handed to a sink.

    recorder = DecisionRecorder(LogSink())
    recorder.record(job_id, context, "gate", "deny", latency_ms=3.2, details={"reasons": [...]})
    with recorder.stage(job_id, context, "execute") as stage:
        stage.outcome = run_the_action()

Recording never raises once the event is built and never fails the request: a sink, hook or
metrics error is logged and counted in ``failures``. Invalid arguments (an unknown stage, a
negative latency) do raise: they are bugs the handler's tests should catch.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from governed_assistant.contracts import DecisionEvent, Stage, TenantContext
from governed_assistant.runtime.telemetry.base import DecisionSink, Monotonic, WallClock
from governed_assistant.runtime.telemetry.constants import SECURITY_EVENT_KEY
from governed_assistant.runtime.telemetry.hooks import notify_event_hooks

_LOGGER = logging.getLogger(__name__)


class EventObserver(Protocol):
    """Something that derives more from each event, such as ``StageMetrics``."""

    def observe(self, event: DecisionEvent) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_event_id() -> str:
    return str(uuid.uuid4())


class DecisionRecorder:
    """Builds each stage's DecisionEvent and hands it to the hooks, the observers and the sink."""

    def __init__(
        self,
        sink: DecisionSink,
        *,
        observers: tuple[EventObserver, ...] = (),
        clock: WallClock = _utc_now,
        monotonic: Monotonic = time.monotonic,
        new_event_id: Callable[[], str] = _new_event_id,
        logger: logging.Logger | None = None,
    ) -> None:
        self.sink = sink
        self.observers = observers
        self.failures = 0
        self._clock = clock
        self._monotonic = monotonic
        self._new_event_id = new_event_id
        self._logger = logger or _LOGGER

    def record(
        self,
        job_id: str,
        context: TenantContext,
        stage: Stage,
        outcome: str,
        *,
        latency_ms: float = 0.0,
        model_id: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> DecisionEvent:
        """Record one stage of ``job_id`` for the tenant and user of ``context``; returns the event."""
        event = DecisionEvent(
            event_id=self._new_event_id(),
            job_id=job_id,
            tenant_id=context.tenant_id,
            user_id=context.user_id,
            stage=stage,
            outcome=outcome,
            latency_ms=latency_ms,
            model_id=model_id,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            details=json_safe(details or {}),
            timestamp=self._clock(),
        )
        self._deliver(event)
        return event

    def record_security_event(
        self,
        job_id: str,
        context: TenantContext,
        stage: Stage,
        reason: str,
        *,
        outcome: str = "deny",
        latency_ms: float = 0.0,
        **details: Any,
    ) -> DecisionEvent:
        """Record a refusal for security reasons (``details.security_event = true``) and log a warning."""
        self._logger.warning(
            "Security event, stage=%s, reason=%s, jobId=%s, tenantId=%s, userId=%s",
            stage, reason, job_id, context.tenant_id, context.user_id,
        )  # fmt: skip
        return self.record(
            job_id,
            context,
            stage,
            outcome,
            latency_ms=latency_ms,
            details={SECURITY_EVENT_KEY: True, "reason": reason, "reasons": [reason], **details},
        )

    def stage(self, job_id: str, context: TenantContext, stage: Stage) -> StageTimer:
        """A context manager that times a stage and records it on exit (outcome ``error`` on an exception)."""
        return StageTimer(self, job_id, context, stage)

    def flush(self) -> None:
        """Flush the sink; call it before a Lambda handler returns (or use ``with recorder:``)."""
        try:
            self.sink.flush()
        except Exception:
            self.failures += 1
            self._logger.exception("Decision event sink failed to flush, sink=%s", type(self.sink).__name__)

    def __enter__(self) -> DecisionRecorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.flush()

    def _deliver(self, event: DecisionEvent) -> None:
        for name, deliver in (
            ("hooks", notify_event_hooks),
            *((type(observer).__name__, observer.observe) for observer in self.observers),
            (type(self.sink).__name__, self.sink.emit),
        ):
            try:
                deliver(event)
            except Exception:
                self.failures += 1
                self._logger.exception(
                    "Decision event not delivered, to=%s, eventId=%s, jobId=%s, stage=%s",
                    name, event.event_id, event.job_id, event.stage,
                )  # fmt: skip


class StageTimer:
    """Times one stage; set ``outcome``, ``details`` and the model fields inside the ``with`` block."""

    def __init__(self, recorder: DecisionRecorder, job_id: str, context: TenantContext, stage: Stage) -> None:
        self.outcome = "ok"
        self.details: dict[str, Any] = {}
        self.model_id: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.event: DecisionEvent | None = None
        self._recorder = recorder
        self._job_id = job_id
        self._context = context
        self._stage: Stage = stage
        self._started = 0.0

    def __enter__(self) -> StageTimer:
        self._started = self._recorder._monotonic()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        latency_ms = max(0.0, (self._recorder._monotonic() - self._started) * 1000.0)
        if exc_type is not None:
            self.outcome = "error"
            self.details["error"] = exc_type.__name__
        self.event = self._recorder.record(
            self._job_id,
            self._context,
            self._stage,
            self.outcome,
            latency_ms=latency_ms,
            model_id=self.model_id,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            details=self.details,
        )


def json_safe(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as plain JSON values: what JSON cannot hold is recorded as its ``str()``."""
    try:
        safe: dict[str, Any] = json.loads(json.dumps(dict(details), default=str))
    except (TypeError, ValueError):
        return {"unserializable_details": repr(details)[:256]}
    return safe
