"""Process-wide hooks that see every recorded event, whatever the sink: the seam ``capture_events`` uses."""

from __future__ import annotations

import threading

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.base import EventHook

_lock = threading.Lock()
_hooks: list[EventHook] = []


def add_event_hook(hook: EventHook) -> None:
    """Call ``hook`` with every event any recorder records from now on, before its sink sees it."""
    with _lock:
        _hooks.append(hook)


def remove_event_hook(hook: EventHook) -> None:
    """Stop calling ``hook``; removing a hook that is not registered does nothing."""
    with _lock:
        for index, registered in enumerate(_hooks):
            if registered is hook or registered == hook:
                del _hooks[index]
                return


def notify_event_hooks(event: DecisionEvent) -> None:
    """Hand ``event`` to every registered hook, in registration order."""
    with _lock:
        hooks = tuple(_hooks)
    for hook in hooks:
        hook(event)
