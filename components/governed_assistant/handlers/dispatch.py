"""Calling the user-owned action modules: ``actions/<action>.py``'s execute, step and compensate functions.

A one-step action runs ``execute(request)``; a workflow step runs the module's function named
after the step, ``<step>(request)`` (the scaffolded stub defines one per step); compensation runs
``compensate(request, result)``. Each must return an ActionResult.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from governed_assistant.contracts import ActionRequest, ActionResult
from governed_assistant.handlers.exceptions import ActionModuleError

EXECUTE_FUNCTION = "execute"
COMPENSATE_FUNCTION = "compensate"


def action_module(package: str, action: str) -> ModuleType:
    name = f"{package}.{action}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name not in (name, package):
            raise  # the module exists but imports something missing: its own bug, shown as is
        raise ActionModuleError(name, EXECUTE_FUNCTION, "No action module") from None


def action_function(module: ModuleType, function: str) -> Callable[..., Any]:
    found: Any = getattr(module, function, None)
    if not callable(found):
        raise ActionModuleError(module.__name__, function, "The action module lacks this function")
    called: Callable[..., Any] = found
    return called


def run_action(package: str, request: ActionRequest) -> ActionResult:
    """``execute(request)``, or the step's own function when ``request.step`` is set."""
    module = action_module(package, request.action_type)
    function = request.step or EXECUTE_FUNCTION
    return _checked(module, function, action_function(module, function)(request))


def run_compensation(package: str, request: ActionRequest, failed: ActionResult) -> ActionResult:
    """``compensate(request, failed)``: ``failed`` says what went wrong and what had completed."""
    module = action_module(package, request.action_type)
    return _checked(
        module, COMPENSATE_FUNCTION, action_function(module, COMPENSATE_FUNCTION)(request, failed)
    )


def _checked(module: ModuleType, function: str, result: Any) -> ActionResult:
    if not isinstance(result, ActionResult):
        raise ActionModuleError(
            module.__name__, function, f"Returned a {type(result).__name__}, not an ActionResult"
        )
    return result
