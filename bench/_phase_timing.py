"""Wall time of each part of ``POST /messages`` inside the stack's process, for ``--phase-timing``.

Wraps, in the running process only (nothing in the package changes): the API route itself,
JWT verification, ``jobs.create``, the input guardrail, the EventBridge dispatch and the SQLite
telemetry writes. A part called outside a ``POST /messages`` request (a step handler writing its
events, a ``GET``) is not counted, except JWT verification, which runs before the route is known
and is counted for every request.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

_samples: dict[str, list[float]] = {}
_lock = threading.Lock()
_inside = threading.local()


def _add(name: str, seconds: float) -> None:
    with _lock:
        _samples.setdefault(name, []).append(seconds)


def _timed(name: str, function: Callable[..., Any], *, only_in_post: bool = True) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if only_in_post and not getattr(_inside, "post", False):
            return function(*args, **kwargs)
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - started)

    return wrapper


def install() -> None:
    """Wrap the parts; call after the governance package is importable, before the first request."""
    from governed_assistant.handlers import api
    from governed_assistant.runtime.guardrails.guardrail import Guardrail
    from governed_assistant.runtime.identity.verifier import JwtVerifier
    from governed_assistant.runtime.jobs.dynamodb import DynamoDBJobStore
    from governed_assistant.runtime.telemetry.sinks.sqlite import SqliteEventStore

    route = api._ROUTES["POST /messages"]

    def post_message(*args: Any, **kwargs: Any) -> Any:
        _inside.post = True
        started = time.perf_counter()
        try:
            return route(*args, **kwargs)
        finally:
            _inside.post = False
            _add("route total (post_message)", time.perf_counter() - started)

    api._ROUTES = {**api._ROUTES, "POST /messages": post_message}
    JwtVerifier.verified_claims = _timed(  # type: ignore[method-assign]
        "JWT verification (every route)", JwtVerifier.verified_claims, only_in_post=False
    )
    DynamoDBJobStore.create = _timed("jobs.create (DynamoDB PutItem)", DynamoDBJobStore.create)  # type: ignore[method-assign]
    Guardrail.check_input = _timed("guardrail.check_input", Guardrail.check_input)  # type: ignore[method-assign]
    api.dispatch_job = _timed("dispatch_job (EventBridge PutEvents)", api.dispatch_job)
    SqliteEventStore.emit = _timed("telemetry emit (SQLite)", SqliteEventStore.emit)  # type: ignore[method-assign]


def take() -> dict[str, list[float]]:
    """The samples so far, and start afresh."""
    global _samples
    with _lock:
        taken, _samples = _samples, {}
    return taken
