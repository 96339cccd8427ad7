"""A model's ``toolUse`` content block -> ActionProposal, or a ProposalError saying what is wrong.

Only the block's shape is checked here (botocore's ToolUseBlock and our tool input); whether
the action exists, the parameters fit and the tenant matches is the gate's to decide, with the
spec and the verified context in hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from governed_assistant.contracts import ActionProposal
from governed_assistant.errors import shown
from governed_assistant.runtime.actions.constants import (
    MAX_RESOURCE_ID_CHARS,
    PARAMETERS_KEY,
    RESOURCE_ID_KEY,
    TENANT_ID_KEY,
    TOOL_INPUT_KEYS,
    TOOL_NAME_PATTERN,
    TOOL_USE_ID_PATTERN,
    TOOL_USE_KEYS,
)
from governed_assistant.runtime.actions.exceptions import ProposalError


def parse_tool_use(block: Any) -> ActionProposal:
    """Parse ``{"toolUseId", "name", "input"}`` (or the ``{"toolUse": {...}}`` content block)."""
    if isinstance(block, Mapping) and set(block) == {"toolUse"}:
        block = block["toolUse"]
    tool_use = _mapping(block, "toolUse")
    _no_unknown_keys(tool_use, TOOL_USE_KEYS, "toolUse")
    _string(tool_use, "toolUseId", "toolUse", TOOL_USE_ID_PATTERN)
    name = _string(tool_use, "name", "toolUse", TOOL_NAME_PATTERN)
    tool_input = _mapping(_required(tool_use, "input", "toolUse"), "toolUse.input")
    _no_unknown_keys(tool_input, TOOL_INPUT_KEYS, "toolUse.input")
    resource_id = _string(tool_input, RESOURCE_ID_KEY, "toolUse.input")
    if not 1 <= len(resource_id) <= MAX_RESOURCE_ID_CHARS or not resource_id.isprintable():
        raise ProposalError(
            "invalid_value",
            f"toolUse.input.{RESOURCE_ID_KEY}",
            f"{RESOURCE_ID_KEY} must be 1 to {MAX_RESOURCE_ID_CHARS} printable characters, "
            f"got={shown(resource_id)}",
        )
    tenant_id = _string(tool_input, TENANT_ID_KEY, "toolUse.input")
    parameters = _mapping(_required(tool_input, PARAMETERS_KEY, "toolUse.input"), "toolUse.input.parameters")
    try:
        return ActionProposal(
            action_type=name, resource_id=resource_id, tenant_id=tenant_id, parameters=dict(parameters)
        )
    except ValidationError as error:  # unreachable after the checks above; kept as a safety net
        raise ProposalError(
            "invalid_value", "toolUse.input", f"Tool use is not a proposal: {error}"
        ) from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProposalError(
            "not_a_mapping", where, f"{where} must be a JSON object, got={type(value).__name__}"
        )
    for key in value:
        if not isinstance(key, str):
            raise ProposalError(
                "wrong_type", where, f"{where} has a key that is not a string, key={shown(key)}"
            )
    return value


def _required(container: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in container:
        raise ProposalError("missing_field", f"{where}.{key}", f"{where} lacks the required field {key!r}")
    return container[key]


def _string(
    container: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str] | None = None
) -> str:
    value = _required(container, key, where)
    if not isinstance(value, str):
        raise ProposalError(
            "wrong_type", f"{where}.{key}", f"{key} must be a string, got={type(value).__name__}"
        )
    if pattern is not None and not pattern.match(value):
        raise ProposalError(
            "invalid_value", f"{where}.{key}", f"{key} must match {pattern.pattern}, got={shown(value)}"
        )
    return value


def _no_unknown_keys(container: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(container) - allowed)
    if unknown:
        raise ProposalError(
            "unknown_field",
            f"{where}.{unknown[0]}",
            f"{where} has unknown field(s) {unknown}; allowed: {sorted(allowed)}",
        )
