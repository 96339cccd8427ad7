"""Governance for AI assistants on AWS: the package every generated assistant pins.

A generated project imports only the names in ``__all__`` below and the helpers in
``governed_assistant.testing``; every other module is private and may change in any release.

    spec       assistant.yaml: the model, the loader (every problem with its path), migrations
    authz      the Cedar schema derived from the spec, starter policies, the tenant guard
    scaffold   writes the owner's missing stubs (actions, their tests, policies, stacks)
    infra      Pulumi ComponentResources, one per layer, composed by ``GovernedAssistant``
    runtime    the governance library the handlers use (identity, gate, jobs, approvals, model...)
    handlers   the Lambda entry points (``governed_assistant.handlers.<function>.handler``) and
               the API's OpenAPI document (``openapi_document``)
    local      the offline stack behind ``make dev`` and ``make demo`` (the ``[local]`` extra)
    testing    helpers for the owner's tests: tokens, in-memory stores, events, Pulumi mocks
    erasure    ``make erase-tenant``: one tenant's data deleted from every store, run by an operator

Nothing here is imported until it is used, so a handler importing
``governed_assistant.handlers.api`` loads neither Pulumi nor the spec model through this module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governed_assistant.authz import cedar_schema, entity_type, load_policies, policy_problems
    from governed_assistant.contracts import (
        ActionProposal,
        ActionRequest,
        ActionResult,
        DecisionEvent,
        GateDecision,
        Job,
        TenantContext,
    )
    from governed_assistant.errors import GovernanceError
    from governed_assistant.handlers.openapi import openapi_document
    from governed_assistant.infra import AssistantCode, GovernedAssistant, GovernedAssistantArgs
    from governed_assistant.infra.invariants import (
        check_resources,
        every_step_has_one_policy,
        resource_checks,
        stack_checks,
        stores_share_one_key,
    )
    from governed_assistant.infra.program import deploy_assistant
    from governed_assistant.scaffold import plan_files
    from governed_assistant.spec import AssistantSpec, SpecError, load_spec

# Each public name and the module it lives in.
_EXPORTS: dict[str, str] = {
    "ActionProposal": "governed_assistant.contracts",
    "ActionRequest": "governed_assistant.contracts",
    "ActionResult": "governed_assistant.contracts",
    "DecisionEvent": "governed_assistant.contracts",
    "GateDecision": "governed_assistant.contracts",
    "Job": "governed_assistant.contracts",
    "TenantContext": "governed_assistant.contracts",
    "GovernanceError": "governed_assistant.errors",
    "openapi_document": "governed_assistant.handlers.openapi",
    "AssistantSpec": "governed_assistant.spec",
    "SpecError": "governed_assistant.spec",
    "load_spec": "governed_assistant.spec",
    "cedar_schema": "governed_assistant.authz",
    "entity_type": "governed_assistant.authz",
    "load_policies": "governed_assistant.authz",
    "policy_problems": "governed_assistant.authz",
    "plan_files": "governed_assistant.scaffold",
    "AssistantCode": "governed_assistant.infra",
    "GovernedAssistant": "governed_assistant.infra",
    "GovernedAssistantArgs": "governed_assistant.infra",
    "deploy_assistant": "governed_assistant.infra.program",
    "check_resources": "governed_assistant.infra.invariants",
    "every_step_has_one_policy": "governed_assistant.infra.invariants",
    "resource_checks": "governed_assistant.infra.invariants",
    "stores_share_one_key": "governed_assistant.infra.invariants",
    "stack_checks": "governed_assistant.infra.invariants",
}

__all__ = [
    "ActionProposal",
    "ActionRequest",
    "ActionResult",
    "AssistantCode",
    "AssistantSpec",
    "DecisionEvent",
    "GateDecision",
    "GovernanceError",
    "GovernedAssistant",
    "GovernedAssistantArgs",
    "Job",
    "SpecError",
    "TenantContext",
    "cedar_schema",
    "check_resources",
    "deploy_assistant",
    "entity_type",
    "every_step_has_one_policy",
    "load_policies",
    "load_spec",
    "openapi_document",
    "plan_files",
    "policy_problems",
    "resource_checks",
    "stack_checks",
    "stores_share_one_key",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'governed_assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
