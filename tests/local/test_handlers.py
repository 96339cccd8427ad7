"""Handlers by function name: lazily imported, the deployed entry points, a clear error when missing."""

from __future__ import annotations

import json

import pytest
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.local.exceptions import HandlerImportError
from governed_assistant.local.handlers import LazyHandler, project_handlers
from governed_assistant.local.lambda_endpoint import LambdaEndpoint


def test_project_handlers_name_the_deployed_entry_points() -> None:
    """Every local function runs the handler the deployed function of that name runs."""
    handlers = project_handlers()
    assert {name: handler.dotted_path for name, handler in handlers.items()} == {  # type: ignore[attr-defined]
        name: HANDLERS[name] for name in handlers
    }
    assert {
        "api",
        "reason",
        "gate",
        "approval",
        "execute",
        "compensate",
        "guardrail_output",
        "respond",
    } <= set(handlers)


def test_project_handlers_overrides_replace_by_name() -> None:
    """A handler given by name replaces that function only."""

    def fake(event: object, context: object) -> str:
        return "fake"

    handlers = project_handlers({"gate": fake})
    assert handlers["gate"] is fake and isinstance(handlers["reason"], LazyHandler)


def test_lazy_handler_missing_module_is_the_function_error() -> None:
    """A handler that cannot be imported fails its invocation with HandlerImportError, as Lambda would."""
    endpoint = LambdaEndpoint({"gate": LazyHandler("governed_assistant.local.no_such_module.handler")})
    status, headers, body = endpoint.invoke("gate", b"{}")
    error = json.loads(body)
    assert status == 200 and headers["X-Amz-Function-Error"] == "Unhandled"
    assert error["errorType"] == "HandlerImportError" and "no_such_module" in error["errorMessage"]


def test_lazy_handler_not_callable_is_refused() -> None:
    """A dotted path naming something that is not a function is refused when resolved."""
    with pytest.raises(HandlerImportError, match="not callable"):
        LazyHandler("governed_assistant.local.constants.LOOPBACK").resolve()
