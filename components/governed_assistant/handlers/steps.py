"""What every state machine task shares: reading its payload strictly, logging, flushing telemetry.

The payload's ``context`` came from verified claims (the API put it there); it is still
validated into a TenantContext here, and never completed from the model's output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from governed_assistant.contracts import ActionProposal, Job, JobStatus, TenantContext
from governed_assistant.handlers.environment import Environment, current
from governed_assistant.handlers.exceptions import StepInputError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.runtime.identity.constants import TENANT_ID_PATTERN
from governed_assistant.runtime.jobs import TERMINAL_STATUSES, InvalidTransitionError, JobStore
from governed_assistant.runtime.jobs.constants import JOB_ID_PATTERN

StepFunction = Callable[[Environment, Mapping[str, Any], Any], Any]


def run_step(step: str, event: Any, lambda_context: Any, work: StepFunction) -> Any:
    """Run one task: check the payload is an object, bind the job's log keys, flush events at the end."""
    env = current()
    if not isinstance(event, Mapping):
        raise StepInputError(step, "(payload)", f"expected a JSON object, got {type(event).__name__}")
    keys = _log_keys(event)
    try:
        with LOGGER.append_context_keys(step=step, **keys):
            return work(env, event, lambda_context)
    except Exception:
        LOGGER.exception("Step failed", extra={"step": step, **keys})
        raise
    finally:
        env.recorder.flush()


def job_id_of(step: str, event: Mapping[str, Any]) -> str:
    job_id = event.get("jobId")
    if not isinstance(job_id, str) or not JOB_ID_PATTERN.fullmatch(job_id):
        raise StepInputError(
            step, "jobId", f"not a job id ([A-Za-z0-9_-]{{1,64}}), got {type(job_id).__name__}"
        )
    return job_id


def context_of(step: str, event: Mapping[str, Any]) -> TenantContext:
    """The payload's TenantContext, validated (closed, typed, a tenant id that can key a record)."""
    raw = event.get("context")
    if not isinstance(raw, Mapping):
        raise StepInputError(
            step, "context", "missing, or not an object of tenantId, userId, roles, requestId"
        )
    try:
        context = TenantContext.model_validate(dict(raw))
    except ValidationError as error:
        raise StepInputError(step, "context", _problems(error)) from None
    if not TENANT_ID_PATTERN.fullmatch(context.tenant_id):
        raise StepInputError(step, "context.tenantId", "not a tenant id")
    return context


def mapping_of(step: str, event: Mapping[str, Any], key: str, *, optional: bool = False) -> dict[str, Any]:
    value = event.get(key)
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise StepInputError(step, key, f"expected an object, got {type(value).__name__}")
    return dict(value)


def proposal_of(step: str, event: Mapping[str, Any]) -> ActionProposal:
    """The proposal the gate already checked (execute, compensate, approval): it must still parse."""
    try:
        return ActionProposal.model_validate(mapping_of(step, event, "proposal"))
    except ValidationError as error:
        raise StepInputError(step, "proposal", _problems(error)) from None


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, item['loc'])) or '(top level)'}: {item['msg']}"
        for item in error.errors(include_url=False)
    )


def _log_keys(event: Mapping[str, Any]) -> dict[str, str]:
    keys: dict[str, str] = {}
    if isinstance(event.get("jobId"), str):
        keys["jobId"] = event["jobId"][:64]
    context = event.get("context")
    if isinstance(context, Mapping):
        for name in ("tenantId", "userId", "requestId"):
            if isinstance(context.get(name), str):
                keys[name] = context[name][:128]
    return keys


def advance(
    jobs: JobStore,
    tenant_id: str,
    job_id: str,
    status: JobStatus,
    stage: str,
    *,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> Job:
    """Move the job to ``status``, through ``processing`` when it cannot go there directly.

    The steps that may only write (no read) learn the job's status from a refused write: a job
    still ``accepted`` (the reason and gate steps cannot write) passes through ``processing`` to
    reach ``awaiting_approval`` or ``complete``. A terminal job is never moved: that raises.
    """
    try:
        return jobs.transition(tenant_id, job_id, status, stage, result=result, error=error)
    except InvalidTransitionError as refused:
        if refused.current in TERMINAL_STATUSES or status == "processing":
            raise
        jobs.transition(tenant_id, job_id, "processing", stage)
        return jobs.transition(tenant_id, job_id, status, stage, result=result, error=error)


def error_summary(error: Mapping[str, Any]) -> str:
    """``Error: message`` from a Catch's ``{"Error", "Cause"}`` (a Lambda Cause is JSON with errorMessage)."""
    name = str(error.get("Error") or "Error")
    cause = error.get("Cause")
    message = ""
    if isinstance(cause, str):
        try:
            decoded = json.loads(cause)
        except ValueError:
            message = cause
        else:
            message = str(decoded.get("errorMessage", cause)) if isinstance(decoded, dict) else cause
    return f"{name}: {message}"[:1000] if message else name
