"""A model's ``toolUse`` content block -> ActionProposal, or a ProposalError saying what is wrong.

The block's shape (botocore's ToolUseBlock and our tool input's keys) is checked here; the
proposal itself is built only through ActionProposal, whose validators hold every rule of a
proposal. Whether the action exists, the parameters fit and the tenant matches is the gate's to
decide, with the spec and the verified context in hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from pydantic import ValidationError

from governed_assistant.contracts import ActionProposal, MalformedProposal
from governed_assistant.errors import shown
from governed_assistant.runtime.actions.constants import (
    PARAMETERS_KEY,
    RESOURCE_ID_KEY,
    TENANT_ID_KEY,
    TOOL_INPUT_KEYS,
    TOOL_USE_ID_PATTERN,
    TOOL_USE_KEYS,
)
from governed_assistant.runtime.actions.exceptions import ProposalError, ProposalReason
from governed_assistant.runtime.actions.tenants import tenant_claims

# The proposal's key for the tool's name; never a key of the tool input (TOOL_INPUT_KEYS).
ACTION_TYPE_KEY: Final = "actionType"
# Bounds of a MalformedProposal: the state machine carries it (256 KB per state).
MAX_PROBLEM_CHARS: Final = 2000
MAX_MALFORMED_CLAIMS: Final = 64
MAX_CLAIM_CHARS: Final = 256
# pydantic's error types -> the reason a ProposalError gives; any other type is "invalid_value".
_REASONS: Final[dict[str, ProposalReason]] = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "dict_type": "not_a_mapping",
    "string_type": "wrong_type",
}


def parse_tool_use(block: Any) -> ActionProposal:
    """Parse ``{"toolUseId", "name", "input"}`` (or the ``{"toolUse": {...}}`` content block)."""
    if isinstance(block, Mapping) and set(block) == {"toolUse"}:
        block = block["toolUse"]
    tool_use = _mapping(block, "toolUse")
    _no_unknown_keys(tool_use, TOOL_USE_KEYS, "toolUse")
    _string(tool_use, "toolUseId", "toolUse", TOOL_USE_ID_PATTERN)
    name = _required(tool_use, "name", "toolUse")
    tool_input = _mapping(_required(tool_use, "input", "toolUse"), "toolUse.input")
    _no_unknown_keys(tool_input, TOOL_INPUT_KEYS, "toolUse.input")
    for key in (RESOURCE_ID_KEY, TENANT_ID_KEY, PARAMETERS_KEY):
        _required(tool_input, key, "toolUse.input")
    # Every rule of a proposal is ActionProposal's own: built only through it, the parser and
    # the gate (which validates through the same model) cannot disagree.
    try:
        return ActionProposal.model_validate({**tool_input, ACTION_TYPE_KEY: name})
    except ValidationError as error:
        raise _proposal_error(error) from None


def malformed_proposal(name: Any, tool_input: Any, error: ProposalError) -> MalformedProposal:
    """What travels on instead of a tool use parse_tool_use refused: why, and the tenants it names."""
    claims = tenant_claims(tool_input)
    kept = [
        # Cut long text past any tenant id's length: a cut value still differs from the verified one.
        claim.model_copy(update={"value": claim.value[:MAX_CLAIM_CHARS]})
        if isinstance(claim.value, str)
        else claim
        for claim in claims[:MAX_MALFORMED_CLAIMS]
    ]
    problem = f"{error.reason} at {error.location}: {error.message}"
    return MalformedProposal(
        tool_name=shown(name, 80), problem=problem[:MAX_PROBLEM_CHARS], tenant_claims=tuple(kept)
    )


def _proposal_error(error: ValidationError) -> ProposalError:
    """The first problem ActionProposal found, where it is in the tool use; all of them in the message."""
    problems = error.errors(include_url=False)
    first = problems[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    location = "toolUse.name" if field == ACTION_TYPE_KEY else f"toolUse.input.{field}".rstrip(".")
    listed = "; ".join(
        f"{_field_name(item['loc'])}: {item['msg'].removeprefix('Value error, ')}"
        + ("" if item["type"] == "value_error" else f" (got {type(item.get('input')).__name__})")
        for item in problems
    )
    reason = _REASONS.get(first["type"], "invalid_value")
    return ProposalError(reason, location, f"Tool use is not a proposal: {listed}")


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join("name" if part == ACTION_TYPE_KEY else str(part) for part in loc) or "toolUse.input"


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
    if pattern is not None and not pattern.fullmatch(value):  # not match(): "$" allows a final "\n"
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
