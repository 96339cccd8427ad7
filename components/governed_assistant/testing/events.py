"""``capture_events()``: the DecisionEvents a block of code records, whatever sink is configured.

In a handler's test:

    with capture_events() as events:
        handler(event, context)
    assert [e.stage for e in events] == ["guardrail_input", "complete"]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.hooks import add_event_hook, remove_event_hook


@contextmanager
def capture_events() -> Iterator[list[DecisionEvent]]:
    """Yield a list that receives every event any ``DecisionRecorder`` records inside the block.

    The events still reach the recorder's sink. Recorders in every thread are seen; nested
    captures each get every event.
    """
    events: list[DecisionEvent] = []
    hook = events.append
    add_event_hook(hook)
    try:
        yield events
    finally:
        remove_event_hook(hook)
