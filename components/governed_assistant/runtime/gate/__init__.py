"""The gate: the deterministic check between a model's proposal and any execution.

``evaluate(proposal, context, spec=..., authorizer=..., owner_lookup=..., flags=...)`` returns a
GateDecision (allow, approve, deny or shadow) with every reason, the Cedar policies that decided
it, a reason code per reason and ``security_event`` for cross-tenant attempts. It never raises
for bad input. ``CedarAuthorizer`` refuses to build on invalid policies (PolicyValidationError).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from governed_assistant.runtime.gate.base import (
    AuthorizationRequest,
    AuthorizationResult,
    Authorizer,
    GateFlags,
    OwnerLookup,
    RiskHook,
)
from governed_assistant.runtime.gate.constants import SECURITY_REASON_CODES, ReasonCode
from governed_assistant.runtime.gate.exceptions import OwnerLookupError, PolicyValidationError, RiskHookError
from governed_assistant.runtime.gate.gate import evaluate
from governed_assistant.runtime.gate.owners import ActionModuleOwners, InMemoryOwners
from governed_assistant.runtime.gate.risk import action_module_risk_hooks, risk_score

if TYPE_CHECKING:
    from governed_assistant.runtime.gate.authorizer import CedarAuthorizer
else:
    from governed_assistant.runtime.lazy import lazy_exports

    # Why lazy: the authorizer loads cedarpy and the Cedar schema builder (with the spec package
    # and YAML), ~100 ms that the gate handler pays when it first builds its authorizer instead.
    __getattr__ = lazy_exports(__name__, {"CedarAuthorizer": "governed_assistant.runtime.gate.authorizer"})

__all__ = [
    "SECURITY_REASON_CODES",
    "ActionModuleOwners",
    "AuthorizationRequest",
    "AuthorizationResult",
    "Authorizer",
    "CedarAuthorizer",
    "GateFlags",
    "InMemoryOwners",
    "OwnerLookup",
    "OwnerLookupError",
    "PolicyValidationError",
    "ReasonCode",
    "RiskHook",
    "RiskHookError",
    "action_module_risk_hooks",
    "evaluate",
    "risk_score",
]
