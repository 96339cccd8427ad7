"""Resource owner lookups: from the action modules (``owner_of``), or from a mapping in tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from governed_assistant.runtime.gate.constants import DEFAULT_ACTIONS_PACKAGE, OWNER_FUNCTION
from governed_assistant.runtime.gate.exceptions import OwnerLookupError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Action


class ActionModuleOwners:
    """Asks ``actions/<name>.py``'s ``owner_of(resource_id) -> str | None``; the default lookup."""

    def __init__(self, package: str = DEFAULT_ACTIONS_PACKAGE) -> None:
        self.package = package
        self._functions: dict[str, Callable[[str], str | None]] = {}

    def owner_of(self, action: Action, resource_id: str) -> str | None:
        function = self._functions.get(action.name) or self._load(action)
        owner = function(resource_id)
        if owner is not None and not isinstance(owner, str):
            raise OwnerLookupError(
                f"{OWNER_FUNCTION}() returned a {type(owner).__name__}, not a tenant id or None, "
                f"module={self.package}.{action.name}"
            )
        return owner

    def _load(self, action: Action) -> Callable[[str], str | None]:
        module_name = f"{self.package}.{action.name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            raise OwnerLookupError(
                f"No action module to look up owners, module={module_name}, error={error}; "
                "run `make scaffold` to create it"
            ) from None
        function = getattr(module, OWNER_FUNCTION, None)
        if not callable(function):
            raise OwnerLookupError(
                f"Action module has no {OWNER_FUNCTION}(resource_id), module={module_name}; define it to "
                f"return the tenant id owning the {action.resource_type}, or None when unknown"
            )
        self._functions[action.name] = function
        return function  # type: ignore[no-any-return]


class InMemoryOwners:
    """Owners from a mapping ``{(resource_type, resource_id): tenant_id}``: for tests and the local stack."""

    def __init__(self, owners: Mapping[tuple[str, str], str] | None = None) -> None:
        self._owners: dict[tuple[str, str], str] = dict(owners or {})

    def add(self, resource_type: str, resource_id: str, tenant_id: str) -> None:
        self._owners[(resource_type, resource_id)] = tenant_id

    def owner_of(self, action: Action, resource_id: str) -> str | None:
        return self._owners.get((action.resource_type, resource_id))
