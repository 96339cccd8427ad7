"""Hand a recorded job to the execution layer: put "job accepted" on the bus.

The event's detail is the state machine's input ``{jobId, context, message}``; ``context`` is
the verified TenantContext, so the execution layer never has to trust anything else. When the
put fails, the job is marked ``failed`` at once - never left ``accepted`` with nothing running.
"""

from __future__ import annotations

import json
from typing import Any

from governed_assistant.contracts import TenantContext
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import DispatchError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.wire import JOB_ACCEPTED_DETAIL_TYPE, JOB_EVENT_SOURCE


def state_machine_input(job_id: str, context: TenantContext, message: str) -> dict[str, Any]:
    return {"jobId": job_id, "context": context.model_dump(mode="json", by_alias=True), "message": message}


def dispatch_job(env: Environment, context: TenantContext, job_id: str, message: str) -> None:
    """Put "job accepted"; on any failure mark the job failed and raise ``DispatchError``."""
    problem: str | None = None
    try:
        response = env.client("events").put_events(
            Entries=[
                {
                    "Source": JOB_EVENT_SOURCE,
                    "DetailType": JOB_ACCEPTED_DETAIL_TYPE,
                    "Detail": json.dumps(
                        state_machine_input(job_id, context, message), separators=(",", ":")
                    ),
                    "EventBusName": env.event_bus,
                }
            ]
        )
    except Exception as error:  # a client error, a timeout, a missing setting: the job cannot start
        details = getattr(error, "response", {}).get("Error", {}) if hasattr(error, "response") else {}
        problem = f"{details.get('Code') or type(error).__name__}: {details.get('Message') or error}"
    else:
        if response.get("FailedEntryCount"):
            entry = (response.get("Entries") or [{}])[0]
            problem = (
                f"{entry.get('ErrorCode', 'Failed')}: {entry.get('ErrorMessage', 'the entry was refused')}"
            )
    if problem is None:
        return
    LOGGER.error("Job not dispatched; marking it failed", extra={"jobId": job_id, "problem": problem})
    env.jobs.transition(context.tenant_id, job_id, "failed", "dispatch", error=f"Not started: {problem}")
    raise DispatchError(job_id, problem)
