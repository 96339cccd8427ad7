"""The execute step: run the allowed action (or one workflow step) at most once.

Input ``{jobId, context, proposal, action, step, results}``; output the ActionResult (camelCase),
which the state machine keeps under ``$.results.<step or action>``. The job record is the
authority (``governed_assistant.handlers.authority``): the step runs only a proposal whose digest
is the one the gate recorded, decided ``allow`` or ``approve`` with a granted approval, for the
job's own tenant and user, while the kill switch is off; anything else is denied (a forged input
as a security event) and nothing runs. The job moves to
``processing`` with the step as its stage, so progress is visible; a terminal job is never run.
``run_once`` keys the run by tenant, action and step: a redelivered event gets the first run's
result. A result with status ``failed`` raises ``ActionFailedError`` (and is not remembered), so
Step Functions' Retry runs it again and its Catch compensates. Emits ``execute``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from governed_assistant.contracts import ActionRequest, ActionResult
from governed_assistant.handlers.authority import job_context, require_decision, require_kill_switch_off
from governed_assistant.handlers.dispatch import run_action
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import ActionFailedError, StepInputError
from governed_assistant.handlers.logs import JOB_REQUEST_ID, LOGGER
from governed_assistant.handlers.steps import (
    advance,
    context_of,
    job_id_of,
    mapping_of,
    proposal_of,
    run_step,
)
from governed_assistant.handlers.tracing import TRACER

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import Action

STEP: Final = "execute"


@LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _execute)
    return result


def _execute(env: Environment, event: Mapping[str, Any], lambda_context: Any) -> dict[str, Any]:
    job_id = job_id_of(STEP, event)
    claimed = context_of(STEP, event)
    proposal = proposal_of(STEP, event)
    spec_action, step = _action_and_step(env, event, proposal.action_type)
    action = spec_action.name
    if proposal.tenant_id != claimed.tenant_id:
        # The gate denies this; reaching here means the state was tampered with. Never run it.
        raise StepInputError(STEP, "proposal.tenantId", "does not match the job's tenant")
    results = mapping_of(STEP, event, "results", optional=True)
    # The job record, not this input, says what may run: its decision, its proposal, its user.
    recorded, context = job_context(env, STEP, STEP, job_id, claimed)
    require_decision(env, STEP, STEP, recorded, context, mapping_of(STEP, event, "proposal"))
    require_kill_switch_off(env, STEP, STEP, job_id, context)
    steps = spec_action.steps
    position = f" ({steps.index(step) + 1}/{len(steps)})" if step else ""
    advance(
        env.jobs,
        context.tenant_id,
        job_id,
        "processing",
        f"execute:{action}{f'.{step}' if step else ''}{position}",
    )
    request = ActionRequest(
        job_id=job_id,
        context=context,
        action_type=action,
        resource_id=proposal.resource_id,
        parameters=proposal.parameters,
        step=step,
        results=results,
    )

    def run() -> dict[str, Any]:
        result = run_action(env.actions_package, request)
        if result.status == "failed":
            # Raised inside run_once, so the record is dropped and the Retry runs the action again.
            raise ActionFailedError(job_id, action, step, result.summary)
        return result.model_dump(mode="json", by_alias=True)

    # Powertools idempotency loads boto3 (the package's __init__ too): on first use.
    from governed_assistant.runtime.idempotency import run_once
    from governed_assistant.runtime.idempotency.keys import run_key

    key = run_key(STEP, context.tenant_id, action, step)
    with env.recorder.stage(job_id, context, STEP) as stage:
        stage.details = {"action": action, "step": step, "resourceId": proposal.resource_id}
        data = run_once(job_id, key, run, persistence=env.persistence, lambda_context=lambda_context)
        result = ActionResult.model_validate(data)
        stage.outcome = result.status
        stage.details["summary"] = result.summary
    return data


def _action_and_step(env: Environment, event: Mapping[str, Any], proposed: str) -> tuple[Action, str | None]:
    action = event.get("action")
    spec_action = env.spec.action(action) if isinstance(action, str) else None
    if spec_action is None or action != proposed:
        raise StepInputError(STEP, "action", f"not the proposal's action of the spec, got {action!r}")
    step = event.get("step")
    if step is not None and step not in spec_action.steps:
        raise StepInputError(STEP, "step", f"not a step of {action}, got {step!r}")
    if step is None and spec_action.steps:
        raise StepInputError(STEP, "step", f"{action} runs in steps {spec_action.steps}; name one")
    return spec_action, step
