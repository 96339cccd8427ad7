"""The project's Lambda handlers by local function name, imported lazily by dotted path.

Function ``gate`` runs ``governed_assistant.handlers.gate.handler``, and so on for every step, the API
and the insight trigger: the entry points the deployed functions name
(``governed_assistant.infra.entrypoints``). Nothing is imported until the first call, so the stack
starts (and its tests run with their own handlers) even before a handler module exists; a
missing one fails that call with ``HandlerImportError``, which Step Functions
sees as the function's error, as it would see a broken deployment package.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

from governed_assistant.infra.entrypoints import HANDLER_PACKAGE, HANDLERS
from governed_assistant.local.constants import API_FUNCTION, INSIGHT_FUNCTION, STEP_FUNCTIONS
from governed_assistant.local.exceptions import HandlerImportError
from governed_assistant.local.lambda_endpoint import Handler


def handler_path(function: str) -> str:
    """A function handler's dotted path, as the stack deploys it (``infra.entrypoints.HANDLERS``)."""
    return HANDLERS.get(function) or f"{HANDLER_PACKAGE}.{function}.handler"


class LazyHandler:
    """A handler named by ``module.attribute``, imported on its first call and kept."""

    def __init__(self, dotted_path: str) -> None:
        self.dotted_path = dotted_path
        self._handler: Handler | None = None
        self._lock = threading.Lock()

    def resolve(self) -> Handler:
        with self._lock:
            if self._handler is None:
                module_name, _, attribute = self.dotted_path.rpartition(".")
                try:
                    module = importlib.import_module(module_name)
                    handler = getattr(module, attribute)
                except (ImportError, AttributeError) as error:
                    raise HandlerImportError(
                        f"cannot import the handler, handler={self.dotted_path}, error={error}; "
                        f"check that {module_name} exists and defines {attribute}(event, context)"
                    ) from error
                if not callable(handler):
                    raise HandlerImportError(
                        f"the handler is not callable, handler={self.dotted_path}, "
                        f"type={type(handler).__name__}; define {attribute}(event, context)"
                    )
                self._handler = handler
            return self._handler

    def __call__(self, event: Any, context: Any) -> Any:
        return self.resolve()(event, context)

    def __repr__(self) -> str:
        return f"LazyHandler({self.dotted_path!r})"


def project_handlers(overrides: Mapping[str, Handler] | None = None) -> dict[str, Handler]:
    """Every step function and the API function, each lazily bound; ``overrides`` replace some by name."""
    names = (*STEP_FUNCTIONS, API_FUNCTION, INSIGHT_FUNCTION)
    handlers: dict[str, Handler] = {name: LazyHandler(handler_path(name)) for name in names}
    handlers.update(overrides or {})
    return handlers
