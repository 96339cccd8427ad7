"""The gate's swappable parts: who owns a resource, who may act, and the rollout switches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from governed_assistant.contracts import TenantContext

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Action

# An action's risk given its validated parameters: a fraction, raised into the base risk (max).
RiskHook = Callable[[Mapping[str, Any]], float]


class OwnerLookup(Protocol):
    """Which tenant owns a resource; ``None`` when it is unknown (the gate then denies)."""

    def owner_of(self, action: Action, resource_id: str) -> str | None:
        """The owning tenant id; may raise OwnerLookupError when no lookup exists or it fails."""
        ...


@dataclass(frozen=True)
class AuthorizationRequest:
    """One Cedar question: may this user, in these roles, run this action on this resource?"""

    context: TenantContext
    action: Action
    resource_id: str
    resource_tenant: str


@dataclass(frozen=True)
class AuthorizationResult:
    """Cedar's answer, with the ids (``@id`` annotations) of the policies that determined it."""

    allowed: bool
    policies: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


class Authorizer(Protocol):
    """Decides an AuthorizationRequest; default deny."""

    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult: ...


@dataclass(frozen=True)
class GateFlags:
    """The rollout switches the gate honours (from AppConfig in AWS, a flags file locally)."""

    kill_switch: bool = False
    """Deny every proposal, with a reason; for incidents."""
    shadow: bool = False
    """Decide and record, never execute: allow and approve become ``shadow``; denials stay deny."""
