"""The action contract: per spec action, its parameters model and its strict Bedrock tool.

Build once per spec with ``action_catalog(spec)`` (cached for the spec's lifetime); the
reasoning layer sends ``catalog.tool_config()`` to Converse (the same for every tenant), and the gate
validates ``proposal.parameters`` with ``catalog[name].validate(...)``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from governed_assistant.errors import shown
from governed_assistant.runtime.actions.constants import PARAMETERS_KEY
from governed_assistant.runtime.actions.exceptions import ProposalError
from governed_assistant.runtime.actions.models import parameters_model
from governed_assistant.runtime.actions.schema import strict_parameters_schema, tool_input_schema

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Action, AssistantSpec


@dataclass(frozen=True)
class ActionContract:
    """One action: what the model may send for it, as a pydantic model and a strict schema."""

    action: Action
    parameters_model: type[BaseModel]
    parameters_schema: dict[str, Any] = field(repr=False)

    @classmethod
    def from_action(cls, action: Action) -> ActionContract:
        return cls(
            action=action,
            parameters_model=parameters_model(action.name, action.parameters),
            parameters_schema=strict_parameters_schema(action.parameters, action=action.name),
        )

    @property
    def name(self) -> str:
        return self.action.name

    def validate(self, parameters: Any) -> BaseModel:
        """The parameters as the action's model; raises ProposalError naming every bad field."""
        if not isinstance(parameters, Mapping):
            raise ProposalError(
                "wrong_type",
                PARAMETERS_KEY,
                f"Parameters must be an object, action={self.name}, got={type(parameters).__name__}",
            )
        try:
            return self.parameters_model.model_validate(dict(parameters))
        except ValidationError as error:
            problems = [
                f"{_location(item['loc'])}: {item['msg']} (got {shown(item.get('input'), 40)})"
                for item in error.errors(include_url=False)
            ]
            where = _location(error.errors()[0]["loc"]) if problems else PARAMETERS_KEY
            raise ProposalError(
                "invalid_parameters",
                where,
                f"Parameters do not match the schema of action={self.name}: {'; '.join(problems)}",
            ) from None

    def tool_spec(self) -> dict[str, Any]:
        """A botocore ``Tool`` member: ``{"toolSpec": {name, description, inputSchema, strict}}``."""
        # botocore 1.44's bedrock-runtime model (2023-09-30) has ToolSpecification.strict (Boolean).
        return {
            "toolSpec": {
                "name": self.name,
                "description": self.action.description,
                "inputSchema": {"json": tool_input_schema(self.action)},
                "strict": True,
            }
        }


class ActionCatalog(Mapping[str, ActionContract]):
    """Every action of a spec by name; nothing outside it can be proposed."""

    def __init__(self, spec: AssistantSpec) -> None:
        # No reference to the spec itself: action_catalog's cache must not keep it alive.
        self._contracts = {action.name: ActionContract.from_action(action) for action in spec.actions}

    def __getitem__(self, name: str) -> ActionContract:
        return self._contracts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._contracts)

    def __len__(self) -> int:
        return len(self._contracts)

    def tool_config(self) -> dict[str, Any]:
        """The Converse ``toolConfig``: one strict tool per action, identical for every tenant."""
        return {"tools": [contract.tool_spec() for contract in self._contracts.values()]}


_CATALOGS: dict[int, tuple[weakref.ref[AssistantSpec], ActionCatalog]] = {}


def action_catalog(spec: AssistantSpec) -> ActionCatalog:
    """The catalog of ``spec``, built on first use and kept while the spec lives."""
    key = id(spec)
    cached = _CATALOGS.get(key)
    if cached is not None and cached[0]() is spec:
        return cached[1]
    catalog = ActionCatalog(spec)
    _CATALOGS[key] = (weakref.ref(spec, _forget(key, _CATALOGS)), catalog)
    return catalog


def _forget(key: int, catalogs: dict[int, Any]) -> Callable[[weakref.ref[AssistantSpec]], None]:
    """Drop the catalog when its spec dies; holds the dict itself, safe at interpreter exit."""

    def forget(ref: weakref.ref[AssistantSpec]) -> None:
        entry = catalogs.get(key)
        if entry is not None and entry[0] is ref:
            del catalogs[key]

    return forget


def tool_config(spec: AssistantSpec) -> dict[str, Any]:
    """The Converse ``toolConfig`` for ``spec``; shorthand for ``action_catalog(spec).tool_config``."""
    return action_catalog(spec).tool_config()


def _location(loc: tuple[int | str, ...]) -> str:
    text = PARAMETERS_KEY
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
