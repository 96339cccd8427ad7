"""The job state machine's definition: one pure function, spec -> Amazon States Language.

The execution layer deploys it with the step functions' ARNs filled in; the local stack runs
the very same dict in moto's interpreter. Function ARNs are ``${...}`` placeholders
(``REASON``, ``GATE``... below) that ``render_definition`` replaces.

The path every job takes (the model only proposes; everything after ``Reason`` is code):

    Reason -> [a plain answer] ----------------------------------------> ScreenOutput
           -> [a proposal] -> Gate -> deny    -> RecordDenial
                                   -> shadow  -> RecordShadow      (decided, recorded, not run)
                                   -> approve -> RequestApproval -> rejected / timed out -> Record...
                                   -> allow   ------------------+
                              ChooseAction <--------------------+
                              -> Run <action>[.<step>]... (Retry: exponential backoff, full jitter)
                                 on failure -> Undo <action> (if reversible) -> RecordFailure -> JobFailed
                              -> ScreenOutput (output guardrail) -> RecordCompletion

The state's shape: the execution input is the conversation layer's event detail
``{"jobId", "context": {tenantId, userId, roles, requestId}, "message"}``; each task adds
its result under its own key (``reasoning``, ``decision``, ``approval``, ``results``,
``error``, ``output``), so a later step and the trace see every earlier decision.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from governed_assistant.spec.model import Action, AssistantSpec
from governed_assistant.spec.models import region_partition
from governed_assistant.wire import (
    APPROVAL_REJECTED_ERROR,
    DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    STEP_DENIED_ERROR,
)

REASON: Final = "${ReasonFunctionArn}"
GATE: Final = "${GateFunctionArn}"
APPROVAL: Final = "${ApprovalFunctionArn}"
EXECUTE: Final = "${ExecuteFunctionArn}"
COMPENSATE: Final = "${CompensateFunctionArn}"
GUARDRAIL_OUTPUT: Final = "${GuardrailOutputFunctionArn}"
RESPOND: Final = "${RespondFunctionArn}"

# Lambda's own transient failures (throttling, a service hiccup) are retried for every task;
# an action's executor is retried by its spec'd policy instead.
_LAMBDA_TRANSIENT_ERRORS: Final = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
_LAMBDA_RETRY: Final = {
    "ErrorEquals": _LAMBDA_TRANSIENT_ERRORS,
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
    "MaxDelaySeconds": 10,
    "JitterStrategy": "FULL",
}
# A step the job record does not back (or the kill switch stops) is denied for good: no retry,
# straight to its Catch. Retriers apply in order, so this one comes first.
_NO_RETRY_WHEN_DENIED: Final = {"ErrorEquals": [STEP_DENIED_ERROR], "MaxAttempts": 0}
_JOB: Final = {"jobId.$": "$.jobId", "context.$": "$.context"}
_FAILED: Final = "RecordFailure"
# "A state's name ... MUST have length less than or equal to 80 Unicode characters" (the spec).
MAX_STATE_NAME_CHARS: Final = 80


def run_state(action: str, step: str | None = None) -> str:
    """The name of the state that runs ``action`` (or one of its steps)."""
    return _state_name(f"Run {action}" if step is None else f"Run {action}.{step}")


def undo_state(action: str) -> str:
    return _state_name(f"Undo {action}")


def _state_name(name: str) -> str:
    """``name`` within the States Language's 80 characters; a hash keeps shortened names apart.

    Action and step names may each take 64 characters (the spec's limit), so ``Run <action>.<step>``
    can reach 133: Step Functions would refuse the whole definition.
    """
    if len(name) <= MAX_STATE_NAME_CHARS:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_STATE_NAME_CHARS - len(digest) - 1]}~{digest}"


def build_definition(
    spec: AssistantSpec, *, approval_timeout_seconds: int = DEFAULT_APPROVAL_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """The state machine for ``spec``, with ``${...}`` placeholders for the function ARNs."""
    if approval_timeout_seconds < 1:
        raise ValueError(f"approval_timeout_seconds must be at least 1, got={approval_timeout_seconds}")
    states: dict[str, Any] = {
        "Begin": {
            "Type": "Pass",
            "Comment": "Every action step records its result under $.results.",
            "Result": {},
            "ResultPath": "$.results",
            "Next": "Reason",
        },
        "Reason": _task(
            REASON,
            {**_JOB, "message.$": "$.message"},
            result_path="$.reasoning",
            next_state="ProposedAction" if spec.actions else "ScreenOutput",
        ),
        "ScreenOutput": _task(
            GUARDRAIL_OUTPUT,
            {**_JOB, "reasoning.$": "$.reasoning", "results.$": "$.results"},
            result_path="$.output",
            next_state="RecordCompletion",
        ),
        # Without actions nothing is gated, so only completion and failure can end a job: Step
        # Functions refuses a definition with a state nothing reaches.
        **_recorders(ACTION_OUTCOMES if spec.actions else ANSWER_OUTCOMES),
    }
    if spec.actions:
        states |= _action_states(spec, approval_timeout_seconds)
    return {
        "Comment": f"{spec.name}: every job's governed path (generated from assistant.yaml).",
        "StartAt": "Begin",
        "States": states,
    }


def _action_states(spec: AssistantSpec, approval_timeout_seconds: int) -> dict[str, Any]:
    proposal = {**_JOB, "proposal.$": "$.reasoning.proposal"}
    states: dict[str, Any] = {
        "ProposedAction": {
            "Type": "Choice",
            "Comment": "The model proposed an action, or answered in words.",
            "Choices": [{"Variable": "$.reasoning.kind", "StringEquals": "proposal", "Next": "Gate"}],
            "Default": "ScreenOutput",
        },
        "Gate": _task(GATE, proposal, result_path="$.decision", next_state="RouteDecision"),
        "RouteDecision": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.decision.outcome", "StringEquals": "allow", "Next": "ChooseAction"},
                {"Variable": "$.decision.outcome", "StringEquals": "approve", "Next": "RequestApproval"},
                {"Variable": "$.decision.outcome", "StringEquals": "shadow", "Next": "RecordShadow"},
            ],
            # Anything else, "deny" included, is a denial: the safe default.
            "Default": "RecordDenial",
        },
        "RequestApproval": {
            "Type": "Task",
            "Comment": "Waits for an approver; the task token never leaves the server side.",
            "Resource": f"arn:{region_partition(spec.region)}:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": APPROVAL,
                "Payload": {**proposal, "decision.$": "$.decision", "taskToken.$": "$$.Task.Token"},
            },
            "TimeoutSeconds": approval_timeout_seconds,
            "ResultPath": "$.approval",
            "Retry": [_LAMBDA_RETRY],
            "Catch": [
                {
                    "ErrorEquals": [APPROVAL_REJECTED_ERROR],
                    "ResultPath": "$.error",
                    "Next": "RecordRejection",
                },
                {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "RecordExpiry"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": _FAILED},
            ],
            "Next": "ChooseAction",
        },
        "ChooseAction": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.reasoning.proposal.actionType",
                    "StringEquals": action.name,
                    "Next": run_state(action.name, action.steps[0] if action.steps else None),
                }
                for action in spec.actions
            ],
            # The gate allowed only actions in the spec; reaching here means it did not.
            "Default": "RecordDenial",
        },
    }
    for action in spec.actions:
        states |= _run_states(action, proposal)
    return states


def _run_states(action: Action, proposal: Mapping[str, str]) -> dict[str, Any]:
    """One task per step (one for a single-step action), then its compensation if reversible."""
    steps: list[str | None] = list(action.steps) or [None]
    on_failure = undo_state(action.name) if action.reversible else _FAILED
    states: dict[str, Any] = {}
    for index, step in enumerate(steps):
        following = steps[index + 1] if index + 1 < len(steps) else None
        states[run_state(action.name, step)] = {
            **_task(
                EXECUTE,
                {**proposal, "action": action.name, "step": step, "results.$": "$.results"},
                result_path=f"$.results.{step or action.name}",
                next_state=run_state(action.name, following) if following else "ScreenOutput",
                on_failure=on_failure,
            ),
            "TimeoutSeconds": action.timeout_seconds,
            "Retry": [_NO_RETRY_WHEN_DENIED, _action_retry(action)],
        }
    if action.reversible:
        undo = _task(
            COMPENSATE,
            {**proposal, "action": action.name, "results.$": "$.results", "error.$": "$.error"},
            result_path="$.compensation",
            next_state=_FAILED,
            catch_path="$.compensationError",
        )
        undo["Retry"] = [_NO_RETRY_WHEN_DENIED, *undo["Retry"]]
        states[undo_state(action.name)] = undo
    return states


def _action_retry(action: Action) -> dict[str, Any]:
    retry = action.retry
    return {
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": retry.interval_seconds,
        "MaxAttempts": retry.max_attempts,
        "BackoffRate": retry.backoff_rate,
        "MaxDelaySeconds": retry.max_delay_seconds,
        "JitterStrategy": "FULL",
    }


_RECORDERS: Final = {
    "complete": "RecordCompletion",
    "denied": "RecordDenial",
    "shadow": "RecordShadow",
    "rejected": "RecordRejection",
    "expired": "RecordExpiry",
    "failed": _FAILED,
}
# The outcomes that can end a job: every one when the spec has actions, else an answer's two.
ACTION_OUTCOMES: Final = tuple(_RECORDERS)
ANSWER_OUTCOMES: Final = ("complete", "failed")


def _recorders(outcomes: tuple[str, ...]) -> dict[str, Any]:
    """One task per outcome: the respond step writes the job's final status and result."""
    states: dict[str, Any] = {}
    for outcome in outcomes:
        name = _RECORDERS[outcome]
        state = _task(RESPOND, {"outcome": outcome, "state.$": "$"}, result_path="$.response", end=True)
        # A failed recorder must not loop back into itself.
        state.pop("Catch")
        if outcome == "failed":
            state.pop("End")
            state["Next"] = "JobFailed"
        states[name] = state
    states["JobFailed"] = {
        "Type": "Fail",
        "Error": "JobFailed",
        "Cause": "The job failed; its decision trace and the job record say where and why.",
    }
    return states


def _task(
    resource: str,
    parameters: Mapping[str, Any],
    *,
    result_path: str,
    next_state: str | None = None,
    end: bool = False,
    on_failure: str = _FAILED,
    catch_path: str = "$.error",
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": resource,
        "Parameters": dict(parameters),
        "ResultPath": result_path,
        "Retry": [_LAMBDA_RETRY],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": catch_path, "Next": on_failure}],
    }
    if end:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def render_definition(definition: Mapping[str, Any], arns: Mapping[str, str]) -> str:
    """The definition as JSON with every ``${Name}`` placeholder replaced by ``arns["Name"]``.

    Raises ``KeyError`` naming a placeholder left without an ARN: a definition never deploys
    half-resolved.
    """

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            name = value[2:-1]
            if name not in arns:
                raise KeyError(f"no ARN for placeholder {value}; given={sorted(arns)}")
            return arns[name]
        if isinstance(value, Mapping):
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    return json.dumps(resolve(definition), indent=2, sort_keys=False)
