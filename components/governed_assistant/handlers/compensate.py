"""The compensate step: undo a reversible action whose execution failed, once.

Input ``{jobId, context, proposal, action, results, error}``. Calls
``actions/<action>.py``'s ``compensate(request, failed)``: ``request.results`` holds what the
completed steps returned, ``failed`` the error Step Functions caught. ``run_once`` makes a
redelivery a no-op. Like execute, it runs only for the job's own tenant and user and a proposal
whose digest and decision the job recorded (``governed_assistant.handlers.authority``); it does
not check the kill switch, since undoing is what stopping wants. A compensation that reports
``failed`` raises ``ActionFailedError``, so the trace and the job show that something may be
left half-done. Emits ``compensate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from governed_assistant.contracts import ActionRequest, ActionResult
from governed_assistant.handlers.authority import job_context, require_decision
from governed_assistant.handlers.dispatch import run_compensation
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import ActionFailedError, StepInputError
from governed_assistant.handlers.logs import JOB_REQUEST_ID, LOGGER
from governed_assistant.handlers.steps import (
    context_of,
    error_summary,
    job_id_of,
    mapping_of,
    proposal_of,
    run_step,
)
from governed_assistant.handlers.tracing import TRACER

STEP: Final = "compensate"


@LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _compensate)
    return result


def _compensate(env: Environment, event: Mapping[str, Any], lambda_context: Any) -> dict[str, Any]:
    job_id = job_id_of(STEP, event)
    claimed = context_of(STEP, event)
    proposal = proposal_of(STEP, event)
    action = event.get("action")
    spec_action = env.spec.action(action) if isinstance(action, str) else None
    if spec_action is None or action != proposal.action_type or not spec_action.reversible:
        raise StepInputError(STEP, "action", f"not the proposal's reversible action, got {action!r}")
    results = mapping_of(STEP, event, "results", optional=True)
    error = mapping_of(STEP, event, "error", optional=True)
    # Only what the gate allowed (or an approver granted) ran, so only that may be undone.
    recorded, context = job_context(env, STEP, STEP, job_id, claimed)
    require_decision(env, STEP, STEP, recorded, context, mapping_of(STEP, event, "proposal"))
    env.jobs.set_stage(context.tenant_id, job_id, f"compensate:{spec_action.name}")
    request = ActionRequest(
        job_id=job_id,
        context=context,
        action_type=spec_action.name,
        resource_id=proposal.resource_id,
        parameters=proposal.parameters,
        results=results,
    )
    failed = ActionResult(
        status="failed", summary=error_summary(error), data={"error": error, "completed": sorted(results)}
    )

    def run() -> dict[str, Any]:
        result = run_compensation(env.actions_package, request, failed)
        if result.status == "failed":
            raise ActionFailedError(job_id, f"{spec_action.name} (compensation)", None, result.summary)
        return result.model_dump(mode="json", by_alias=True)

    # Powertools idempotency loads boto3 (the package's __init__ too): on first use.
    from governed_assistant.runtime.idempotency import run_once
    from governed_assistant.runtime.idempotency.keys import run_key

    with env.recorder.stage(job_id, context, STEP) as stage:
        stage.details = {"action": spec_action.name, "completed": sorted(results), "cause": failed.summary}
        key = run_key(STEP, context.tenant_id, spec_action.name)
        data = run_once(job_id, key, run, persistence=env.persistence, lambda_context=lambda_context)
        stage.outcome = str(data.get("status", "unknown"))
    return data
