"""The swappable parts of telemetry: where events go, where they are read back, what sends them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from governed_assistant.contracts import DecisionEvent

# Called with every event a recorder records, before its sink sees it (``capture_events`` uses one).
EventHook = Callable[[DecisionEvent], None]
# The wall clock for event timestamps (timezone-aware, UTC).
WallClock = Callable[[], datetime]
# A monotonic clock in seconds, for latencies and deadlines.
Monotonic = Callable[[], float]
Sleep = Callable[[float], None]


@runtime_checkable
class DecisionSink(Protocol):
    """Where recorded DecisionEvents go: a log, Firehose, a local store, memory."""

    def emit(self, event: DecisionEvent) -> None:
        """Take one event; a sink that sends over the network may buffer it until ``flush``."""
        ...

    def flush(self) -> None:
        """Send whatever is buffered; call it before a Lambda handler returns."""
        ...


@runtime_checkable
class DecisionEventSource(Protocol):
    """A sink that can give events back: the local store and the in-memory sink (``make trace``)."""

    def events_for_job(self, job_id: str, *, tenant_id: str | None = None) -> list[DecisionEvent]:
        """A job's events in the order they happened; only ``tenant_id``'s when one is given."""
        ...


class FirehoseClient(Protocol):
    """The one method of a ``boto3.client("firehose")`` the Firehose sink uses."""

    def put_record_batch(self, **kwargs: Any) -> Mapping[str, Any]:
        """``DeliveryStreamName=..., Records=[{"Data": bytes}, ...]``; see the Firehose API."""
        ...
