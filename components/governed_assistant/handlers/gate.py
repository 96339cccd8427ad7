"""The gate step: the deterministic check between the model's proposal and any execution.

Input ``{jobId, context, proposal}``; output the GateDecision (camelCase). The job record is
the truth about who asked: the job is re-read under the payload's tenant (``JobStore.load``), and
its tenant and user - not the payload's alone - form the context the proposal is judged for. A
payload naming a tenant or user the job does not have is denied as a security event, whatever
the proposal says. The decision is recorded on the job with the digest of the exact proposal
(``JobStore.record_decision``), once: the steps after the gate run only what it backs, and a job
already decided otherwise is denied as a security event. Emits ``gate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from governed_assistant.contracts import GateDecision, TenantContext
from governed_assistant.handlers.authority import JOB_MISMATCH
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.logs import JOB_REQUEST_ID, LOGGER
from governed_assistant.handlers.steps import context_of, job_id_of, run_step
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.gate import GateFlags, evaluate
from governed_assistant.runtime.jobs import DecisionConflictError, JobNotFoundError, proposal_digest
from governed_assistant.runtime.telemetry import SECURITY_EVENT_KEY

STEP: Final = "gate"


@LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _gate)
    return result


def _gate(env: Environment, event: Mapping[str, Any], _: Any) -> dict[str, Any]:
    job_id = job_id_of(STEP, event)
    claimed = context_of(STEP, event)
    proposal = event.get("proposal")
    with env.recorder.stage(job_id, claimed, STEP) as stage:
        context, refusal = _job_context(env, job_id, claimed)
        if refusal is not None:
            decision = GateDecision(
                outcome="deny",
                risk=1.0,
                reasons=(refusal,),
                reason_codes=(JOB_MISMATCH,),
                security_event=True,
            )
        else:
            snapshot = env.flags.for_tenant(context)
            decision = evaluate(
                proposal if isinstance(proposal, Mapping) else {},
                context,
                spec=env.spec,
                authorizer=env.authorizer,
                owner_lookup=env.owners,
                flags=GateFlags(kill_switch=snapshot.kill_switch, shadow=snapshot.shadow),
                risk_hooks=env.risk_hooks,
            )
            if snapshot.problem:
                stage.details["flagsProblem"] = snapshot.problem
            decision = _record(env, job_id, context, decision, proposal)
        stage.outcome = decision.outcome
        stage.details |= {
            "risk": decision.risk,
            "reasons": list(decision.reasons),
            "reasonCodes": list(decision.reason_codes),
            "policies": list(decision.policies),
            "actionType": proposal.get("actionType") if isinstance(proposal, Mapping) else None,
        }
        if decision.security_event:
            # The key record_security_event sets: dashboards and alarms select on it.
            stage.details |= {
                SECURITY_EVENT_KEY: True,
                "reason": decision.reasons[0] if decision.reasons else "",
            }
            LOGGER.warning("Security event at the gate", extra={"reasons": list(decision.reasons)})
    return decision.model_dump(mode="json", by_alias=True)


def _record(
    env: Environment, job_id: str, context: TenantContext, decision: GateDecision, proposal: Any
) -> GateDecision:
    """Record the decision and the proposal's digest on the job: the later steps run only what it backs."""
    digest = proposal_digest(proposal if isinstance(proposal, Mapping) else {})
    try:
        env.jobs.record_decision(context.tenant_id, job_id, decision.outcome, digest)
    except DecisionConflictError as refused:
        return GateDecision(
            outcome="deny",
            risk=1.0,
            reasons=(f"job_mismatch: {refused}",),
            reason_codes=(JOB_MISMATCH,),
            security_event=True,
        )
    return decision


def _job_context(env: Environment, job_id: str, claimed: TenantContext) -> tuple[TenantContext, str | None]:
    """The context from the job record (the request id from the payload), or why it cannot be had."""
    try:
        job = env.jobs.load(claimed.tenant_id, job_id)
    except JobNotFoundError:
        return claimed, (
            f"job_mismatch: no job {job_id} under tenant={claimed.tenant_id}; "
            "the state input does not match any recorded job"
        )
    if job.user_id != claimed.user_id:
        return claimed, (
            f"job_mismatch: the job was asked for by another user than the state input names, job_id={job_id}"
        )
    if sorted(job.roles) != sorted(claimed.roles):
        return claimed, (
            f"job_mismatch: the state input names other roles than the job was asked with, job_id={job_id}"
        )
    return TenantContext(
        tenant_id=job.tenant_id, user_id=job.user_id, roles=job.roles, request_id=claimed.request_id
    ), None
