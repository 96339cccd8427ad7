"""The respond step: write the job's final status and result, and the last decision event.

Input ``{"outcome", "state"}`` (the whole execution state). ``complete`` -> complete;
``shadow`` -> complete, with the result marked ``shadow`` (decided and recorded, not run);
``denied``, ``rejected`` and ``expired`` -> rejected; ``failed`` -> failed. A job that is already
terminal (a redelivered event) is left as it is. Emits ``complete``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governed_assistant.contracts import JobStatus
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import StepInputError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.handlers.steps import (
    advance,
    context_of,
    error_summary,
    job_id_of,
    mapping_of,
    run_step,
)
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
EXPIRED_MESSAGE = "No approver decided before the deadline; the action was not run."


def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _respond)
    return result


def _respond(env: Environment, event: Mapping[str, Any], _: Any) -> dict[str, Any]:
    outcome = event.get("outcome")
    if outcome not in OUTCOMES:
        raise StepInputError(STEP, "outcome", f"expected one of {list(OUTCOMES)}, got {outcome!r}")
    state = mapping_of(STEP, event, "state")
    job_id = job_id_of(STEP, state)
    context = context_of(STEP, state)
    status = STATUS_BY_OUTCOME[outcome]
    result, error = final_result(outcome, state)
    with env.recorder.stage(job_id, context, "complete") as stage:
        stage.outcome = outcome
        stage.details = {"status": status, **({"error": error} if error else {})}
        try:
            advance(env.jobs, context.tenant_id, job_id, status, "complete", result=result, error=error)
        except InvalidTransitionError as refused:
            if refused.current not in TERMINAL_STATUSES:
                raise
            # Already final: a redelivery. What the user was told stays as it is.
            LOGGER.warning("Job already final; left unchanged", extra={"current": refused.current})
            stage.details["alreadyFinal"] = refused.current
    return {"recorded": outcome, "status": status}


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
