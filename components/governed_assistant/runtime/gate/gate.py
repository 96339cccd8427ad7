"""The gate: one deterministic function from a proposal and the verified context to a decision.

Checks run in order and every failure is collected, so a denial carries all its reasons:

1. the action exists in the spec;
2. the parameters validate against the action's model (closed and strict);
3. the proposal's tenant (what the model claims), and every value under a tenant-ish key in its
   parameters at any depth (``runtime.actions.tenant_claims``), is the verified tenant - else a
   security event (``tenant_mismatch``), even when the proposal is malformed;
4. the resource belongs to that tenant (owner lookup; unknown owner = deny; another tenant's =
   a security event);
5. Cedar permits it (default deny; the tenant guard forbids any cross-tenant access);
6. the risk score (base risk, raised by the action's hook) routes it: at or above ``deny`` ->
   deny, at or above ``approval`` -> approve, else allow.

Then the rollout flags: the kill switch denies everything; shadow turns allow and approve
into ``shadow``. Nothing raises past the gate: malformed input, a failing lookup or hook, a
bug - each is a denial with its reason. The only I/O is the owner lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from governed_assistant.contracts import (
    ActionProposal,
    GateDecision,
    GateOutcome,
    MalformedProposal,
    TenantClaim,
    TenantContext,
)
from governed_assistant.errors import shown
from governed_assistant.runtime.actions import ActionContract, ProposalError, action_catalog, tenant_claims
from governed_assistant.runtime.actions.constants import TENANT_ID_KEY
from governed_assistant.runtime.gate.base import (
    AuthorizationRequest,
    Authorizer,
    GateFlags,
    OwnerLookup,
    RiskHook,
)
from governed_assistant.runtime.gate.constants import SECURITY_REASON_CODES, UNKNOWN_ACTION_RISK, ReasonCode
from governed_assistant.runtime.gate.risk import risk_score

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import AssistantSpec


# How many nested tenant claims a reason lists by path; the rest are counted.
_LISTED_CLAIMS = 5


@dataclass
class _Reasons:
    codes: list[ReasonCode] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def add(self, code: ReasonCode, message: str) -> None:
        self.codes.append(code)
        self.texts.append(f"{code}: {message}")


def evaluate(
    proposal: ActionProposal | Mapping[str, Any],
    context: TenantContext,
    *,
    spec: AssistantSpec,
    authorizer: Authorizer,
    owner_lookup: OwnerLookup,
    flags: GateFlags,
    risk_hooks: Mapping[str, RiskHook] | None = None,
) -> GateDecision:
    """Decide ``proposal`` for ``context``: allow, approve, deny or shadow, with every reason."""
    reasons = _Reasons()
    try:
        risk, policies = _check(proposal, context, spec, authorizer, owner_lookup, risk_hooks or {}, reasons)
    except Exception as error:  # fail closed: a bug must deny, never let a proposal through
        reasons.add("gate_error", f"the gate failed, error={type(error).__name__}: {shown(str(error), 200)}")
        risk, policies = UNKNOWN_ACTION_RISK, ()
    outcome = _route(risk, spec, reasons)
    if flags.kill_switch:
        reasons.add("kill_switch", "the kill switch is on: every action is refused until it is turned off")
        outcome = "deny"
    if flags.shadow and outcome in ("allow", "approve"):
        reasons.add("shadow_mode", f"recorded, not executed; the decision would be {outcome}")
        outcome = "shadow"
    return GateDecision(
        outcome=outcome,
        risk=risk,
        reasons=tuple(reasons.texts),
        policies=policies,
        reason_codes=tuple(reasons.codes),
        security_event=any(code in SECURITY_REASON_CODES for code in reasons.codes),
    )


def _check(
    raw: ActionProposal | Mapping[str, Any],
    context: TenantContext,
    spec: AssistantSpec,
    authorizer: Authorizer,
    owner_lookup: OwnerLookup,
    risk_hooks: Mapping[str, RiskHook],
    reasons: _Reasons,
) -> tuple[float, tuple[str, ...]]:
    """Run checks 1-6, adding a reason per failure; the risk and the determining Cedar policies."""
    proposal = _as_proposal(raw, reasons)
    if proposal is None:
        _check_tenants(_raw_tenant_claims(raw), context, reasons)
        return UNKNOWN_ACTION_RISK, ()
    contract = action_catalog(spec).get(proposal.action_type)
    if contract is None:
        reasons.add(
            "unknown_action",
            f"action={shown(proposal.action_type)} is not in the spec; known: {sorted(action_catalog(spec))}",
        )
    parameters = _validated_parameters(contract, proposal, reasons)
    _check_tenants(tenant_claims(proposal.model_dump(by_alias=True)), context, reasons)
    if contract is None:
        return UNKNOWN_ACTION_RISK, ()
    owner = _owner(contract, proposal.resource_id, context, owner_lookup, reasons)
    policies: tuple[str, ...] = ()
    if owner is not None:
        result = authorizer.authorize(
            AuthorizationRequest(context, contract.action, proposal.resource_id, owner)
        )
        policies = result.policies
        if not result.allowed:
            why = f"; errors: {'; '.join(result.errors)}" if result.errors else ""
            by = f"forbidden by {list(policies)}" if policies else "no policy permits it (default deny)"
            reasons.add(
                "not_authorized",
                f"Cedar denies user={context.user_id} roles={list(context.roles)} "
                f"action={contract.name} on {contract.action.resource_type}: {by}{why}",
            )
    return _risk(contract, parameters, risk_hooks.get(contract.name), reasons), policies


def _check_tenants(claims: list[TenantClaim], context: TenantContext, reasons: _Reasons) -> None:
    """``tenant_mismatch`` (a security event) per foreign tenantId, and once for foreign nested values."""
    foreign = [claim for claim in claims if claim.value != context.tenant_id]
    for claim in foreign:
        if claim.path == TENANT_ID_KEY:
            reasons.add(
                "tenant_mismatch",
                f"proposal tenantId={shown(claim.value)} is not the verified tenant={context.tenant_id}",
            )
    nested = [claim for claim in foreign if claim.path != TENANT_ID_KEY]
    if nested:
        listed = ", ".join(f"{claim.path}={shown(claim.value)}" for claim in nested[:_LISTED_CLAIMS])
        more = f" and {len(nested) - _LISTED_CLAIMS} more" if len(nested) > _LISTED_CLAIMS else ""
        reasons.add(
            "tenant_mismatch",
            f"proposal names another tenant than the verified tenant={context.tenant_id}: {listed}{more}",
        )


def _malformed(raw: ActionProposal | Mapping[str, Any]) -> MalformedProposal | None:
    """``raw`` as the MalformedProposal the reason step sent; None for anything else, a mapping
    that only claims to be one included (it is then judged like any other mapping)."""
    if not (isinstance(raw, Mapping) and raw.get("malformed") is True):
        return None
    try:
        return MalformedProposal.model_validate(raw)
    except ValidationError:
        return None


def _raw_tenant_claims(raw: ActionProposal | Mapping[str, Any]) -> list[TenantClaim]:
    """The tenants a proposal that is not an ActionProposal names: a MalformedProposal's, or found in it."""
    if (malformed := _malformed(raw)) is not None:
        return list(malformed.tenant_claims)
    if isinstance(raw, ActionProposal):  # made without validation: its fields by their wire names
        return tenant_claims({to_camel(name): value for name, value in dict(raw).items()})
    return tenant_claims(raw)


def _as_proposal(raw: ActionProposal | Mapping[str, Any], reasons: _Reasons) -> ActionProposal | None:
    """``raw`` through ActionProposal's validators, the parser's rules; None (and a reason) if it fails."""
    if (malformed := _malformed(raw)) is not None:
        reasons.add(
            "malformed_proposal",
            f"the model's tool use name={malformed.tool_name} is not a proposal: {malformed.problem}",
        )
        return None
    # An instance is validated again: one made with model_construct (or changed behind pydantic's
    # back) has skipped the validators.
    candidate = dict(raw) if isinstance(raw, ActionProposal | Mapping) else raw
    try:
        return ActionProposal.model_validate(candidate)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc'])) or '(top level)'}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
        reasons.add("malformed_proposal", f"the proposal is not an ActionProposal: {problems}")
        return None


def _validated_parameters(
    contract: ActionContract | None, proposal: ActionProposal, reasons: _Reasons
) -> dict[str, Any] | None:
    if contract is None:
        return None
    try:
        return contract.validate(proposal.parameters).model_dump()
    except ProposalError as error:
        reasons.add("invalid_parameters", error.message)
        return None


def _owner(
    contract: ActionContract,
    resource_id: str,
    context: TenantContext,
    owner_lookup: OwnerLookup,
    reasons: _Reasons,
) -> str | None:
    where = f"{contract.action.resource_type}={shown(resource_id)}"
    try:
        owner = owner_lookup.owner_of(contract.action, resource_id)
    except Exception as error:  # a lookup that fails cannot vouch for the resource: deny
        reasons.add("owner_lookup_failed", f"cannot look up the owner of {where}: {error}")
        return None
    if owner is None:
        reasons.add("unknown_resource_owner", f"{where} has no known owner")
    elif owner != context.tenant_id:
        reasons.add("resource_other_tenant", f"{where} does not belong to tenant={context.tenant_id}")
    return owner


def _risk(
    contract: ActionContract, parameters: dict[str, Any] | None, hook: RiskHook | None, reasons: _Reasons
) -> float:
    if parameters is None:
        return risk_score(contract.action, {}, None)
    try:
        return risk_score(contract.action, parameters, hook)
    except Exception as error:  # a hook that cannot score the proposal must not let it through
        reasons.add("risk_hook_failed", f"the risk hook of action={contract.name} failed: {error}")
        return risk_score(contract.action, {}, None)


def _route(risk: float, spec: AssistantSpec, reasons: _Reasons) -> GateOutcome:
    if reasons.codes:
        return "deny"
    if risk >= spec.risk.deny:
        reasons.add("risk_too_high", f"risk {risk:.2f} is at or above the deny threshold {spec.risk.deny}")
        return "deny"
    if risk >= spec.risk.approval:
        reasons.add(
            "approval_required", f"risk {risk:.2f} is at or above the approval threshold {spec.risk.approval}"
        )
        return "approve"
    return "allow"
