"""Test helpers that generated projects and the local stack use: public, small and documented.

    TokenIssuer, identity_claims      real RS256 tokens from a key of the test's own
    api_gateway_context, http_api_event   who the API function takes a token's sender to be, behind
                                      API Gateway, and the event its JWT authorizer hands over
    capture_events                    the decision events a block of code records
    lambda_context, LambdaContext     the context object Lambda hands a handler
    InMemory{Job,Approval}Store, InMemoryOwners   stores with the DynamoDB ones' rules
    StepHarness                       a step's handler on in-memory stores, for a spec
    run_program, MockRun              a project's Pulumi program under the SDK's mocks
    DEMO_SCENARIOS                    the local stack's demo scenarios, (title, runner) pairs

The Pulumi helpers, the scenarios and the step harness load on first use (they import Pulumi,
the local stack and the handlers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from governed_assistant.runtime.approvals import InMemoryApprovalStore
from governed_assistant.runtime.gate import InMemoryOwners
from governed_assistant.runtime.jobs import InMemoryJobStore
from governed_assistant.testing.context import LambdaContext, lambda_context
from governed_assistant.testing.events import capture_events
from governed_assistant.testing.gateway import api_gateway_context, http_api_event
from governed_assistant.testing.tokens import TokenIssuer, identity_claims

if TYPE_CHECKING:
    from governed_assistant.infra.testing import MockRun, run_program
    from governed_assistant.local.scenarios import SCENARIOS as DEMO_SCENARIOS
    from governed_assistant.testing.steps import StepHarness

_LAZY: dict[str, tuple[str, str]] = {
    "MockRun": ("governed_assistant.infra.testing", "MockRun"),
    "run_program": ("governed_assistant.infra.testing", "run_program"),
    "DEMO_SCENARIOS": ("governed_assistant.local.scenarios", "SCENARIOS"),
    "StepHarness": ("governed_assistant.testing.steps", "StepHarness"),
}

__all__ = [
    "DEMO_SCENARIOS",
    "InMemoryApprovalStore",
    "InMemoryJobStore",
    "InMemoryOwners",
    "LambdaContext",
    "MockRun",
    "StepHarness",
    "TokenIssuer",
    "api_gateway_context",
    "capture_events",
    "http_api_event",
    "identity_claims",
    "lambda_context",
    "run_program",
]


def __getattr__(name: str) -> Any:
    """Import the Pulumi helpers and the scenarios on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'governed_assistant.testing' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
