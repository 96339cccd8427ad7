"""The gate tests' world: the bounded-action spec, its starter policies, owners, a user, a Gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from governed_assistant.authz import starter_policy
from governed_assistant.contracts import ActionProposal, GateDecision, TenantContext
from governed_assistant.runtime.gate import CedarAuthorizer, GateFlags, InMemoryOwners, RiskHook, evaluate
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document

SPEC = parse_spec(render_spec_yaml(preset_document("bounded-action")))
STARTER_POLICIES = "\n".join(starter_policy(SPEC, role) for role in SPEC.roles)
AUTHORIZER = CedarAuthorizer(SPEC, STARTER_POLICIES)

ALICE = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="req-1")
OWNERS = {
    ("ticket", "t-acme"): "acme",
    ("ticket", "t-globex"): "globex",
    ("invoice", "inv-acme"): "acme",
    ("invoice", "inv-globex"): "globex",
    ("customer", "c-acme"): "acme",
}
REFUND = {"amount": 25, "currency": "USD", "reason": "duplicate charge"}


def proposal(
    action: str = "update_ticket_status",
    resource: str = "t-acme",
    tenant: str = "acme",
    parameters: Mapping[str, Any] | None = None,
) -> ActionProposal:
    """A proposal; by default a valid low-risk one for ALICE."""
    return ActionProposal(
        action_type=action,
        resource_id=resource,
        tenant_id=tenant,
        parameters=dict({"status": "solved"} if parameters is None else parameters),
    )


@dataclass(frozen=True)
class Gate:
    """Everything ``evaluate`` takes but the proposal; ``replace`` a field to vary one."""

    spec: AssistantSpec = SPEC
    authorizer: CedarAuthorizer = AUTHORIZER
    owners: InMemoryOwners = field(default_factory=lambda: InMemoryOwners(OWNERS))
    flags: GateFlags = field(default_factory=GateFlags)
    risk_hooks: Mapping[str, RiskHook] = field(default_factory=dict)
    context: TenantContext = ALICE

    def decide(self, candidate: ActionProposal | Mapping[str, Any]) -> GateDecision:
        return evaluate(
            candidate,
            self.context,
            spec=self.spec,
            authorizer=self.authorizer,
            owner_lookup=self.owners,
            flags=self.flags,
            risk_hooks=self.risk_hooks,
        )

    def but(self, **changes: Any) -> Gate:
        return replace(self, **changes)
