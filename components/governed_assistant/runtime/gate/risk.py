"""The risk score: an action's base risk, raised (never lowered) by its optional hook."""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governed_assistant.runtime.gate.base import RiskHook
from governed_assistant.runtime.gate.constants import DEFAULT_ACTIONS_PACKAGE, RISK_FUNCTION
from governed_assistant.runtime.gate.exceptions import RiskHookError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Action, AssistantSpec


def risk_score(action: Action, parameters: Mapping[str, Any], hook: RiskHook | None) -> float:
    """``max(base, hook(parameters))`` clamped to [0, 1]; raises RiskHookError on a bad hook value."""
    if hook is None:
        return _clamp(action.risk)
    value = hook(parameters)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RiskHookError(
            f"Risk hook returned {value!r}, action={action.name}; return a number between 0 and 1"
        )
    return _clamp(max(action.risk, float(value)))


def action_module_risk_hooks(
    spec: AssistantSpec, package: str = DEFAULT_ACTIONS_PACKAGE
) -> dict[str, RiskHook]:
    """The ``risk(parameters)`` functions the action modules define; actions without one are left out."""
    hooks: dict[str, RiskHook] = {}
    for action in spec.actions:
        module_name = f"{package}.{action.name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise  # the module exists but imports something missing: a real error
            continue
        hook = getattr(module, RISK_FUNCTION, None)
        if hook is None:
            continue
        if not callable(hook):
            raise RiskHookError(f"{RISK_FUNCTION} is not a function, module={module_name}")
        hooks[action.name] = hook
    return hooks


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
