"""Model-written values on their way out of the system, screened by the output guardrail first.

The answer text has its own step (``guardrail_output``). Everything else the model wrote that a
person reads later is screened here: every string of a proposal but its action type (its
``resourceId`` and ``tenantId``, its parameters' values and names, on a denial whatever the model
put in them) and the gate's reasons, which quote those values. The approval step screens them
before it stores the approval and its summary; the respond step before it writes a job's result.
A value the guardrail blocks is replaced by ``WITHHELD_MARKER`` (a name, by the marker and a
number: the proposal keeps its shape), one it anonymizes is masked, and the step's decision event
says which (by name, never by text) under ``outbound``. When the guardrail cannot be reached,
every value is withheld: the record is still written, without what could not be screened.

Approvers' notifications carry no model-written text at all: ids, the action's name from the
spec, and a link (``governed_assistant.handlers.approval``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governed_assistant.handlers.environment import Environment
from governed_assistant.runtime.guardrails import (
    ScreenedValues,
    replace_text_values,
    screen_values,
    text_values,
)

_PROPOSAL = "proposal"
_REASONS = "reasons"
_ACTION_TYPE = f"{_PROPOSAL}.actionType"


@dataclass(frozen=True)
class Outbound:
    """A proposal and the gate's reasons as they may leave, and the guardrail's verdict on them."""

    proposal: dict[str, Any]
    reasons: list[str]
    screened: ScreenedValues


def screen_outbound(env: Environment, proposal: Mapping[str, Any], reasons: Sequence[Any]) -> Outbound:
    """``proposal`` (wire form) and ``reasons`` with every string screened as the assistant's output."""
    texts = [str(reason) for reason in reasons]
    # The proposal's own field names are the contract's (or, for a malformed one, this package's);
    # the names inside its parameters are the model's, and are screened with their values. Its
    # action type is an identifier the contract bounds (64 letters, digits, "_" and "-": a spec
    # action's name once the gate allowed it): nothing to screen, and a marker would break it.
    found = text_values(dict(proposal), _PROPOSAL, keys=False) | text_values(texts, _REASONS)
    values = {name: text for name, text in found.items() if name != _ACTION_TYPE}
    screened = screen_values(env.guardrail, values)
    return Outbound(
        replace_text_values(dict(proposal), screened.values, _PROPOSAL),
        replace_text_values(texts, screened.values, _REASONS),
        screened,
    )


def screened_state(
    env: Environment, state: Mapping[str, Any]
) -> tuple[dict[str, Any], ScreenedValues | None]:
    """The execution state with its proposal and the gate's reasons screened (``screen_outbound``);
    None when it holds neither (an answer in words)."""
    reasoning = state.get("reasoning")
    decision = state.get("decision")
    proposal = reasoning.get("proposal") if isinstance(reasoning, Mapping) else None
    reasons = decision.get("reasons") if isinstance(decision, Mapping) else None
    if not isinstance(proposal, Mapping) and not isinstance(reasons, list | tuple):
        return dict(state), None
    outbound = screen_outbound(
        env,
        proposal if isinstance(proposal, Mapping) else {},
        reasons if isinstance(reasons, list | tuple) else (),
    )
    screened = dict(state)
    if isinstance(reasoning, Mapping) and isinstance(proposal, Mapping):
        screened["reasoning"] = {**reasoning, "proposal": outbound.proposal}
    if isinstance(decision, Mapping) and isinstance(reasons, list | tuple):
        screened["decision"] = {**decision, "reasons": outbound.reasons}
    return screened, outbound.screened
