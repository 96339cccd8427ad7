"""The respond step: write the job's final status and result, and the last decision event.

Input ``{"outcome", "state"}`` (the whole execution state). ``complete`` -> complete;
``shadow`` -> complete, with the result marked ``shadow`` (decided and recorded, not run);
``denied``, ``rejected`` and ``expired`` -> rejected; ``failed`` -> failed. A job that is already
terminal (a redelivered event) is left as it is. It writes only to the job named, re-read under
the state's tenant, for that job's own user and roles, and only an outcome the job's recorded
decision may end with (``ENDINGS_BY_DECISION``); anything else is denied as a security event and
nothing is written. Emits ``complete``.

A result that carries what the model wrote (every ending but ``complete``, whose text the output
guardrail step screened: the proposal, and the gate's reasons that quote it) is screened before
it is written (``governed_assistant.handlers.outbound``); the event's ``outbound`` says what was
withheld.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governed_assistant.contracts import GateOutcome, Job, JobStatus, TenantContext
from governed_assistant.handlers.authority import (
    OUTCOME_MISMATCH,
    deny,
    job_context,
    require_granted_approval,
)
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import StepInputError
from governed_assistant.handlers.logs import LOGGER, STATE_REQUEST_ID
from governed_assistant.handlers.outbound import screened_state
from governed_assistant.handlers.steps import (
    advance,
    context_of,
    error_summary,
    job_id_of,
    mapping_of,
    run_step,
)
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.jobs import TERMINAL_STATUSES, InvalidTransitionError
from governed_assistant.wire import OUTCOMES

STEP = "respond"
STATUS_BY_OUTCOME: Mapping[str, JobStatus] = {
    "complete": "complete",
    "shadow": "complete",
    "denied": "rejected",
    "rejected": "rejected",
    "expired": "rejected",
    "failed": "failed",
}
# The outcomes each recorded gate decision may end with (None: no proposal was decided, e.g. an
# answer in words, or a state input the gate refused without a job to record it on).
ENDINGS_BY_DECISION: Mapping[GateOutcome | None, frozenset[str]] = {
    None: frozenset({"complete", "denied", "failed"}),
    "allow": frozenset({"complete", "denied", "failed"}),
    "approve": frozenset({"complete", "denied", "rejected", "expired", "failed"}),
    "deny": frozenset({"denied", "failed"}),
    "shadow": frozenset({"shadow", "failed"}),
}
EXPIRED_MESSAGE = "No approver decided before the deadline; the action was not run."


@LOGGER.inject_lambda_context(correlation_id_path=STATE_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _respond)
    return result


def _respond(env: Environment, event: Mapping[str, Any], _: Any) -> dict[str, Any]:
    outcome = event.get("outcome")
    if outcome not in OUTCOMES:
        raise StepInputError(STEP, "outcome", f"expected one of {list(OUTCOMES)}, got {outcome!r}")
    state = mapping_of(STEP, event, "state")
    job_id = job_id_of(STEP, state)
    claimed = context_of(STEP, state)
    status = STATUS_BY_OUTCOME[outcome]
    # Only the job named, for its own tenant and user, and only with an ending its decision allows.
    job, context = job_context(env, STEP, "complete", job_id, claimed)
    _require_ending(env, job, context, outcome)
    with env.recorder.stage(job_id, context, "complete") as stage:
        stage.outcome = outcome
        screened = None
        if outcome != "complete" and job.status not in TERMINAL_STATUSES:  # a redelivery writes nothing
            state, screened = screened_state(env, state)
        result, error = final_result(outcome, state)
        stage.details = {"status": status, **({"error": error} if error else {})}
        if screened is not None:
            stage.details["outbound"] = screened.details()
        try:
            advance(env.jobs, context.tenant_id, job_id, status, "complete", result=result, error=error)
        except InvalidTransitionError as refused:
            if refused.current not in TERMINAL_STATUSES:
                raise
            # Already final: a redelivery. What the user was told stays as it is.
            LOGGER.warning("Job already final; left unchanged", extra={"current": refused.current})
            stage.details["alreadyFinal"] = refused.current
    return {"recorded": outcome, "status": status}


def _require_ending(env: Environment, job: Job, context: TenantContext, outcome: str) -> None:
    """Deny an outcome the job's recorded decision cannot end with (a ``complete`` after ``approve``
    needs the granted approval)."""
    if outcome not in ENDINGS_BY_DECISION[job.decision]:
        deny(
            env,
            STEP,
            "complete",
            job.job_id,
            context,
            OUTCOME_MISMATCH,
            f"a job decided {job.decision} cannot end {outcome}",
        )
    if outcome == "complete" and job.decision == "approve":
        require_granted_approval(env, STEP, "complete", job, context)


def final_result(outcome: str, state: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The job's result (what the user reads) and error, from the execution state."""
    reasoning = _mapping(state.get("reasoning"))
    decision = _mapping(state.get("decision"))
    output = _mapping(state.get("output"))
    results = _mapping(state.get("results"))
    result: dict[str, Any] = {"outcome": outcome}
    if outcome == "complete":
        result |= {"text": output.get("text"), "guardrail": output.get("outcome"), "results": results}
        if reasoning.get("sources"):
            result["sources"] = reasoning["sources"]
        return result, None
    if decision:
        result["decision"] = decision
    if reasoning.get("kind") == "proposal":
        result["proposal"] = reasoning.get("proposal")
    if outcome == "shadow":
        would = next((str(r) for r in decision.get("reasons") or [] if "would be" in str(r)), "")
        result |= {"shadow": True, "text": f"Recorded in shadow mode and not run. {would}".strip()}
        return result, None
    if outcome == "denied":
        reasons = [str(reason) for reason in decision.get("reasons") or []]
        return result, ("Denied: " + "; ".join(reasons)) if reasons else "Denied"
    if outcome == "expired":
        return result, EXPIRED_MESSAGE
    failure = _mapping(state.get("error"))
    if outcome == "rejected":
        return result, "Rejected by an approver" + _approver_reason(failure)
    if state.get("compensation") is not None:
        result["compensation"] = state["compensation"]
    if state.get("compensationError") is not None:
        result["compensationError"] = state["compensationError"]
    return result, error_summary(failure) if failure else "The job failed"


def _approver_reason(failure: Mapping[str, Any]) -> str:
    """The approver's reason, from SendTaskFailure's cause (``ApprovalDecision.output()`` as JSON)."""
    try:
        cause = json.loads(str(failure.get("Cause") or "{}"))
    except ValueError:
        return ""
    reason = cause.get("reason") if isinstance(cause, dict) else None
    return f": {reason}" if reason else ""


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
