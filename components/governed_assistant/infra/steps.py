"""The steps every job takes, as data: their names, what each may touch, which placeholder is whose.

What each step's role may do is ``STEP_GRANTS``: plain data, so the roles are built from it
(``governed_assistant.infra.step_lambdas``) and ``governed_assistant.infra.invariants`` checks
them against it, in tests and in the CrossGuard policy pack alike. The state machine's
definition names each step's function by a placeholder (``${GateFunctionArn}``);
``definition_steps`` says which step each one stands for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from governed_assistant.errors import GovernanceError

Step = Literal["gate", "approval", "execute", "compensate", "guardrail_output", "respond"]
STEPS: Final[tuple[Step, ...]] = get_args(Step)


class ExecutionLayerError(GovernanceError):
    """When the execution layer's arguments cannot build a working layer."""


# What a grant's statement points at. "own_log_group" is the step's own log group;
# "*" is reserved for actions AWS offers no resource-level permission for.
ResourceKey = Literal[
    "jobs_table", "approvals_table", "idempotency_table", "approval_topic", "guardrail", "flags",
    "decision_stream", "stack_key", "own_log_group", "*",
]  # fmt: skip

# The inline policy of step ``s`` is named ``STEP_POLICY_PREFIX + s``: the invariants find it by name.
STEP_POLICY_PREFIX: Final = "governed-step-"
STEP_TAG: Final = "governed:step"


@dataclass(frozen=True)
class Grant:
    """One statement of a step's policy: these actions, on that resource, for this reason."""

    sid: str
    actions: tuple[str, ...]
    resource: ResourceKey
    reason: str
    effect: Literal["Allow", "Deny"] = "Allow"


# Powertools' DynamoDBPersistenceLayer reads, writes (conditionally), updates and deletes its records.
_IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")

_JOB_DECISION: Final = "check the input against the job's user and recorded decision"
_GRANTED: Final = "check that the job's approval was granted"
_FLAGS_READ: Final = ("appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration")
_SCREEN: Final = ("bedrock:ApplyGuardrail",)

STEP_GRANTS: Final[Mapping[Step, tuple[Grant, ...]]] = MappingProxyType(
    {
        # The gate reads the job the conversation layer recorded from verified claims, so the
        # proposal's tenant and user are checked against that record and never against the
        # state input alone, and the rollout flags (shadow mode, canary, kill switch). It records
        # its decision and the proposal's digest on the job: the later steps run only what that backs.
        "gate": (
            Grant(
                "JobsRead", ("dynamodb:GetItem",), "jobs_table", "compare the proposal with the job's tenant"
            ),
            Grant("JobsDecide", ("dynamodb:UpdateItem",), "jobs_table", "record its decision on the job"),
            Grant("Flags", _FLAGS_READ, "flags", "read shadow mode, canary and kill switch"),
        ),
        # Every step after the gate re-reads the job: its recorded decision, not the step's input,
        # says what may run (governed_assistant.handlers.authority). The steps that let model-written
        # values out (approval, the output guardrail, respond) screen them with the stack's guardrail.
        "approval": (
            Grant("ApprovalsWrite", ("dynamodb:PutItem",), "approvals_table", "store the task token"),
            Grant("ApprovalNotify", ("sns:Publish",), "approval_topic", "ask the approvers"),
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "mark the job awaiting_approval"),
            Grant("Guardrail", _SCREEN, "guardrail", "screen the proposal an approver will read"),
        ),
        "execute": (
            Grant("Idempotency", _IDEMPOTENCY, "idempotency_table", "run each action at most once"),
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("ApprovalsRead", ("dynamodb:GetItem",), "approvals_table", _GRANTED),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "record the stage and result"),
            Grant("Flags", _FLAGS_READ, "flags", "stop in-flight work when the kill switch is on"),
        ),
        "compensate": (
            Grant("Idempotency", _IDEMPOTENCY, "idempotency_table", "compensate each action at most once"),
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("ApprovalsRead", ("dynamodb:GetItem",), "approvals_table", _GRANTED),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "record the compensation"),
        ),
        "guardrail_output": (Grant("Guardrail", _SCREEN, "guardrail", "screen the answer before it leaves"),),
        "respond": (
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("ApprovalsRead", ("dynamodb:GetItem",), "approvals_table", _GRANTED),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "write the final status and result"),
            Grant("Guardrail", _SCREEN, "guardrail", "screen the proposal a job's result carries"),
        ),
    }
)

# Every step writes its own logs and its traces, and nothing else besides its grants above.
BASELINE_GRANTS: Final[tuple[Grant, ...]] = (
    # The layer creates the log group, so the function needs no logs:CreateLogGroup.
    Grant("OwnLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), "own_log_group", "write its own logs"),
    Grant("Tracing", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*", "X-Ray traces"),
)


# Every API call that can create, change or remove a DynamoDB item, the PartiQL ones included.
APPROVAL_RECORD_WRITES: Final[tuple[str, ...]] = (
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
)  # fmt: skip
APPROVALS_IMMUTABLE_SID: Final = "ApprovalsImmutable"


def approvals_immutable(granted: tuple[str, ...] = ()) -> Grant:
    """An explicit Deny of every approval-record write but ``granted``: a later Allow, added by
    mistake to the role or a policy attached beside it, cannot let the function rewrite or delete
    who approved what (an explicit Deny wins over any Allow)."""
    return Grant(
        APPROVALS_IMMUTABLE_SID,
        tuple(action for action in APPROVAL_RECORD_WRITES if action not in granted),
        "approvals_table",
        "an approval record is written once and decided once, by the functions whose job that is",
        effect="Deny",
    )


def _approvals_guard(step: Step) -> Grant:
    """The step's Deny: everything but the writes its own grants need on the approvals table."""
    granted = tuple(
        action
        for grant in STEP_GRANTS[step]
        if grant.resource == "approvals_table"
        for action in grant.actions
        if action in APPROVAL_RECORD_WRITES
    )
    return approvals_immutable(granted)


# Only when the stack sends decision events straight to Firehose (``GOVERNED_TELEMETRY_SINK=firehose``);
# with the default log sink a subscription filter forwards them and no step needs it.
TELEMETRY_GRANT: Final = Grant(
    "DecisionEvents", ("firehose:PutRecordBatch",), "decision_stream", "send decision events to Firehose"
)
# Only when assistant.yaml sets ``kms_key``: the stores a step reads and writes are encrypted with
# the stack's key, so its role (every function's, ``functions.governed_function``) may use that key.
KEY_USE_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")
KEY_USE_SID: Final = "StackKey"
KEY_GRANT: Final = Grant(
    KEY_USE_SID, KEY_USE_ACTIONS, "stack_key", "read and write the stores encrypted with the stack's key"
)
OPTIONAL_GRANTS: Final[tuple[Grant, ...]] = (TELEMETRY_GRANT, KEY_GRANT)


def step_grants(step: Step, *, telemetry: bool = False, key: bool = False) -> tuple[Grant, ...]:
    """Everything step ``step``'s role may do: its own grants, the baseline, Firehose if ``telemetry``
    and the stack's key if ``key``; and, denied, every approval-record write its grants do not need."""
    return (
        *STEP_GRANTS[step],
        *BASELINE_GRANTS,
        *((TELEMETRY_GRANT,) if telemetry else ()),
        *((KEY_GRANT,) if key else ()),
        _approvals_guard(step),
    )


# How ASL placeholders name the step functions ("${GateFunctionArn}", "${EXECUTOR_ARN}"...):
# a placeholder belongs to the step whose alias its lowercase letters start with.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")
_STEP_ALIASES: Final[Mapping[Step, tuple[str, ...]]] = MappingProxyType(
    {
        "gate": ("gate",),
        "approval": ("approval", "notifier", "notify"),
        "execute": ("execute", "executor"),
        "compensate": ("compensat",),
        "guardrail_output": ("guardrailoutput", "outputguardrail"),
        "respond": ("respond", "response"),
    }
)


def placeholder_step(placeholder: str) -> Step | None:
    """The step whose function an ASL ARN placeholder stands for, or None."""
    letters = re.sub(r"[^a-z]", "", placeholder.lower()).removeprefix("lambda").removeprefix("function")
    return next(
        (step for step, aliases in _STEP_ALIASES.items() if letters.startswith(aliases)),
        None,
    )


def definition_steps(
    definition: Mapping[str, Any], external: frozenset[str] = frozenset()
) -> dict[str, Step]:
    """Every ``${...}`` placeholder of an ASL definition, with the step it stands for.

    ``external`` placeholders (``${ReasonFunctionArn}``) are other layers' functions and
    are left out. Raises ``ExecutionLayerError`` for a placeholder that names no step, so a
    definition never deploys with an ARN left unresolved.
    """
    found = {f"${{{name}}}" for name in _PLACEHOLDER.findall(json.dumps(definition))}
    placeholders = sorted(name[2:-1] for name in found - external)
    steps = {placeholder: placeholder_step(placeholder) for placeholder in placeholders}
    unknown = [placeholder for placeholder, step in steps.items() if step is None]
    if unknown:
        raise ExecutionLayerError(
            f"the state machine definition has placeholders that name no step function, "
            f"placeholders={unknown}; steps={list(STEPS)}"
        )
    return {placeholder: step for placeholder, step in steps.items() if step is not None}
