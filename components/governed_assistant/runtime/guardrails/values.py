"""Model-written values on their way out: screened as the assistant's output, withheld when blocked.

What the model wrote travels further than its answer: a proposal's ``resourceId`` and free-text
parameters reach an approver's notification and view, a job's result, a denial's reasons. Each of
those is screened here before it leaves, so the output guardrail sees every model-written value,
not only the answer text.

``text_values(tree)`` names every string of a JSON-like tree (mapping keys included) by its path;
``screen_values(guardrail, values)`` screens them with one ApplyGuardrail call, and only when that
call intervenes, one call per value, to find which to withhold (``WITHHELD_MARKER``) or mask;
``replace_text_values(tree, screened.values)`` puts the screened values back. A guardrail that
cannot be reached withholds everything: unscreened text never leaves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from governed_assistant.runtime.guardrails.constants import WITHHELD_MARKER
from governed_assistant.runtime.guardrails.exceptions import GuardrailError
from governed_assistant.runtime.guardrails.guardrail import Guardrail

ScreenOutcome = Literal["passed", "anonymized", "blocked", "unscreened"]
# A mapping key's name: its mapping's path and the key, then this suffix (``parameters.note#key``).
KEY_SUFFIX = "#key"


@dataclass(frozen=True)
class ScreenedValues:
    """Named values as they may leave: unchanged, masked (anonymized) or ``WITHHELD_MARKER``.

    ``outcome`` is the worst that happened: ``blocked`` when the guardrail blocked any value,
    ``unscreened`` when it could not be reached (every value withheld), ``anonymized`` when it
    only masked, else ``passed``. ``withheld`` and ``masked`` name the values it replaced.
    """

    values: dict[str, str]
    outcome: ScreenOutcome = "passed"
    withheld: tuple[str, ...] = ()
    masked: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    error: str | None = None

    def details(self) -> dict[str, Any]:
        """For a DecisionEvent: the verdict and the names of the values replaced, never their text."""
        details: dict[str, Any] = {"outcome": self.outcome}
        if self.withheld:
            details["withheld"] = list(self.withheld)
        if self.masked:
            details["masked"] = list(self.masked)
        if self.reasons:
            details["filters"] = list(self.reasons)
        if self.error:
            details["error"] = self.error
        return details


def screen_values(guardrail: Guardrail, values: Mapping[str, str]) -> ScreenedValues:
    """Screen ``values`` (name -> text) as output; see the module docstring for what is replaced."""
    values = dict(values)
    if not values:
        return ScreenedValues({})
    try:
        together = guardrail.check_output("\n".join(values.values()))
        if together.outcome == "passed":
            return ScreenedValues(values)
        singles = {name: guardrail.check_output(text) for name, text in values.items()}
    except GuardrailError as error:
        return ScreenedValues(
            dict.fromkeys(values, WITHHELD_MARKER), "unscreened", withheld=tuple(values), error=str(error)
        )
    withheld = tuple(name for name, result in singles.items() if result.blocked)
    masked = tuple(name for name, result in singles.items() if result.outcome == "anonymized")
    reasons = {reason: None for result in (together, *singles.values()) for reason in result.reasons}
    if together.blocked and not withheld:
        # Blocked together, yet no value alone: the combination is what the guardrail refused.
        withheld, masked = tuple(values), ()
    screened = {
        name: WITHHELD_MARKER if name in withheld else singles[name].text if name in masked else text
        for name, text in values.items()
    }
    outcome: ScreenOutcome = "blocked" if withheld else "anonymized" if masked else "passed"
    return ScreenedValues(screened, outcome, withheld, masked, tuple(reasons))


def text_values(tree: Any, path: str = "", *, keys: bool = True) -> dict[str, str]:
    """Every string in ``tree`` by path (``resourceId``, ``parameters.items[0]``), and with ``keys``
    every mapping key as ``<path>#key``; ``keys=False`` leaves out the keys of ``tree`` itself (names
    this code chose), not those of the mappings inside it."""
    found: dict[str, str] = {}
    if isinstance(tree, str):
        found[path] = tree
    elif isinstance(tree, Mapping):
        for key, value in tree.items():
            child = f"{path}.{key}" if path else str(key)
            if keys and isinstance(key, str):
                found[child + KEY_SUFFIX] = key
            found |= text_values(value, child)
    elif isinstance(tree, list | tuple):
        for index, value in enumerate(tree):
            found |= text_values(value, f"{path}[{index}]")
    return found


def replace_text_values(tree: Any, values: Mapping[str, str], path: str = "") -> Any:
    """``tree`` with each string named in ``values`` (``text_values``' names) replaced by its value.

    Every mapping stays a mapping with all its entries, so the tree keeps its shape (a client's
    schema still holds): a replaced key that would collide with another gets `` (n)`` appended.
    """
    if isinstance(tree, str):
        return values.get(path, tree)
    if isinstance(tree, Mapping):
        rebuilt: dict[Any, Any] = {}
        for key, value in tree.items():
            child = f"{path}.{key}" if path else str(key)
            new_key = values.get(child + KEY_SUFFIX, key) if isinstance(key, str) else key
            unique, n = new_key, 1
            while unique in rebuilt:
                n += 1
                unique = f"{new_key} ({n})"
            rebuilt[unique] = replace_text_values(value, values, child)
        return rebuilt
    if isinstance(tree, list | tuple):
        return [replace_text_values(value, values, f"{path}[{index}]") for index, value in enumerate(tree)]
    return tree
