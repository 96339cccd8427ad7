"""Errors the handlers raise. A step's exception class name is what Step Functions' Retry and
Catch match on (the Lambda error type), so each name says what happened."""

from __future__ import annotations

from collections.abc import Mapping

from governed_assistant.errors import GovernanceError, shown
from governed_assistant.handlers.http import status_of


class HandlerError(GovernanceError):
    """When a handler cannot do its job."""


class HandlerConfigError(HandlerError):
    """When a function is deployed without a setting it needs (an env var, the spec, the policies)."""

    def __init__(self, setting: str, problem: str, fix: str) -> None:
        self.setting = setting
        super().__init__(f"{problem}, setting={setting}; {fix}")


class StepInputError(HandlerError):
    """When a state machine task receives a payload that is not the shape its contract says."""

    def __init__(self, step: str, field: str, problem: str) -> None:
        self.step = step
        self.field = field
        super().__init__(
            f"Invalid {step} input, field={field}: {problem}; the state machine definition "
            "(governed_assistant.infra.asl) and this handler disagree - redeploy both from one "
            "package version"
        )


class ActionModuleError(HandlerError):
    """When ``actions/<action>.py`` is missing, lacks a step's function, or returns no ActionResult."""

    def __init__(self, module: str, function: str, problem: str) -> None:
        self.module = module
        self.function = function
        super().__init__(
            f"{problem}, module={module} function={function}; run `make scaffold` for missing stubs and "
            "return an ActionResult from every execute, step and compensate function"
        )


class ActionFailedError(HandlerError):
    """When an action or step reports status ``failed``: Step Functions retries, then compensates."""

    def __init__(self, job_id: str, action: str, step: str | None, summary: str) -> None:
        self.job_id = job_id
        self.action = action
        self.step = step
        super().__init__(
            f"Action failed, job_id={job_id} action={action} step={step} summary={shown(summary, 300)}"
        )


class DispatchError(HandlerError):
    """When the "job accepted" event cannot be put on the bus, so no execution will start."""

    def __init__(self, job_id: str, problem: str) -> None:
        self.job_id = job_id
        super().__init__(
            f"Job could not be handed to the execution layer, job_id={job_id}: {problem}; "
            "check the event bus name and the function's events:PutEvents permission"
        )


class InsightEventError(HandlerError):
    """When an insight event is not from the trusted producer or its detail is not the documented shape."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(
            f"Insight refused: {problem}; put events with source governed.insights, detail type "
            '"insight raised" and detail {"tenantId", "userId", "insight": {"title", "body", ...}}'
        )


class ApiError(HandlerError):
    """When an HTTP request cannot be served as asked: ``{"error": code, "message"}`` with the code's
    status (``governed_assistant.handlers.http.ERROR_CODES``)."""

    def __init__(self, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        self.status = status_of(code)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(f"{message} (status={self.status}, error={code})")


class StepDeniedError(HandlerError):
    """When a step's input is not backed by the job record, or the kill switch is on: nothing ran.

    The state machine does not retry it (``governed_assistant.infra.asl``); the job ends failed.
    """

    def __init__(self, step: str, job_id: str, code: str, reason: str) -> None:
        self.step = step
        self.job_id = job_id
        self.code = code
        super().__init__(
            f"Step denied, step={step} job_id={job_id} reason={code}: {reason}; nothing ran. A step runs "
            "only what the job's recorded gate decision backs - see the job's decision trace"
        )
