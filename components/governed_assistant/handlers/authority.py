"""Every step after the gate takes its authority from the job record, never from its input.

``job_context`` re-reads the job under the input's tenant and denies an input naming a job the
tenant does not have, or another user or other roles than the job's; the context it returns is
the job's. ``require_decision`` denies a proposal whose digest is not the one the gate recorded,
and one the recorded decision does not let run (``allow``, or ``approve`` with an approval that
was granted). ``require_kill_switch_off`` denies while the tenant's kill switch is on. A denial
is recorded (a forged input as a security event) and raises ``StepDeniedError``: nothing runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn

from governed_assistant.contracts import Job, Stage, TenantContext
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import StepDeniedError
from governed_assistant.runtime.jobs import JobNotFoundError, proposal_digest

# Why a step refused its input (the decision event's reasonCodes).
JOB_MISMATCH: Final = "job_mismatch"
PROPOSAL_MISMATCH: Final = "proposal_mismatch"
NOT_DECIDED: Final = "not_decided"
NOT_APPROVED: Final = "not_approved"
OUTCOME_MISMATCH: Final = "outcome_mismatch"
KILL_SWITCH: Final = "kill_switch"


def job_context(
    env: Environment, step: str, stage: Stage, job_id: str, claimed: TenantContext
) -> tuple[Job, TenantContext]:
    """The job named and its context (tenant, user, roles from the job; the request id from the input)."""
    try:
        job = env.jobs.load(claimed.tenant_id, job_id)
    except JobNotFoundError:
        deny(
            env,
            step,
            stage,
            job_id,
            claimed,
            JOB_MISMATCH,
            f"no job {job_id} under tenant={claimed.tenant_id}; the input does not name a recorded job",
        )
    if job.user_id != claimed.user_id:
        deny(env, step, stage, job_id, claimed, JOB_MISMATCH, "the job was asked for by another user")
    if sorted(job.roles) != sorted(claimed.roles):
        deny(env, step, stage, job_id, claimed, JOB_MISMATCH, "the input names other roles than the job's")
    context = TenantContext(
        tenant_id=job.tenant_id, user_id=job.user_id, roles=job.roles, request_id=claimed.request_id
    )
    return job, context


def require_decision(
    env: Environment,
    step: str,
    stage: Stage,
    job: Job,
    context: TenantContext,
    proposal: Mapping[str, Any],
    *,
    approved: bool = True,
) -> None:
    """Deny unless ``proposal`` is the one the gate decided and the decision lets it run.

    ``approved=False`` (the approval step itself) accepts ``approve`` without a granted approval.
    """
    if job.decision is None or job.proposal_digest is None:
        deny(env, step, stage, job.job_id, context, NOT_DECIDED, "the gate recorded no decision for this job")
    if proposal_digest(proposal) != job.proposal_digest:
        deny(
            env,
            step,
            stage,
            job.job_id,
            context,
            PROPOSAL_MISMATCH,
            "the proposal is not the one the gate decided (its action, resource or parameters differ)",
        )
    if job.decision == "allow" and approved:
        return
    if job.decision != "approve":
        deny(
            env,
            step,
            stage,
            job.job_id,
            context,
            NOT_DECIDED,
            f"the gate's recorded decision is {job.decision}, which runs nothing",
        )
    if approved:
        require_granted_approval(env, step, stage, job, context)


def require_granted_approval(
    env: Environment, step: str, stage: Stage, job: Job, context: TenantContext
) -> None:
    """Deny unless the job's recorded approval exists, is for this job, and was approved."""
    from governed_assistant.runtime.approvals import ApprovalNotFoundError  # boto3-free, but not needed cold

    status = "never requested"
    if job.approval_id is not None:
        try:
            view = env.approvals.get(context, job.approval_id, approver_roles=env.spec.approver_roles)
        except ApprovalNotFoundError:
            status = "not found"
        else:
            status = view.status if view.job_id == job.job_id else "for another job"
    if status != "approved":
        deny(
            env,
            step,
            stage,
            job.job_id,
            context,
            NOT_APPROVED,
            f"the job needs an approval and its approval is {status}",
        )


def require_kill_switch_off(
    env: Environment, step: str, stage: Stage, job_id: str, context: TenantContext
) -> None:
    """Deny (not a security event) while the tenant's kill switch is on, or the flags failed closed."""
    snapshot = env.flags.for_tenant(context)
    if snapshot.kill_switch:
        deny(
            env,
            step,
            stage,
            job_id,
            context,
            KILL_SWITCH,
            "the kill switch is on: every action is refused until it is turned off",
            security=False,
        )


def deny(
    env: Environment,
    step: str,
    stage: Stage,
    job_id: str,
    context: TenantContext,
    code: str,
    reason: str,
    *,
    security: bool = True,
) -> NoReturn:
    """Record the denial (a security event unless ``security=False``) and raise ``StepDeniedError``."""
    text = f"{code}: {reason}"
    details: dict[str, Any] = {"step": step, "reasonCodes": [code]}
    if security:
        env.recorder.record_security_event(job_id, context, stage, text, **details)
    else:
        env.recorder.record(job_id, context, stage, "deny", details={**details, "reasons": [text]})
    raise StepDeniedError(step, job_id, code, reason)
