"""Shared pieces of the telemetry tests: a fixed start time, a stepping clock, an event factory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from governed_assistant.contracts import DecisionEvent, Stage

START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


class SteppingClock:
    """A wall clock that moves ``step_ms`` forward on every reading."""

    def __init__(self, step_ms: float = 10.0) -> None:
        self.now = START
        self.step = timedelta(milliseconds=step_ms)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


def make_event(
    job_id: str = "job-1",
    stage: Stage = "reason",
    *,
    seconds: float = 0.0,
    tenant_id: str = "acme",
    **fields: object,
) -> DecisionEvent:
    """A DecisionEvent ``seconds`` after START; ``fields`` override the rest."""
    values: dict[str, object] = {
        "event_id": f"{job_id}-{stage}-{seconds}",
        "job_id": job_id,
        "tenant_id": tenant_id,
        "user_id": "alice",
        "stage": stage,
        "outcome": "ok",
        "latency_ms": 5.0,
        "timestamp": START + timedelta(seconds=seconds),
    }
    values.update(fields)
    return DecisionEvent.model_validate(values)
