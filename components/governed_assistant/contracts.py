"""The contracts between the layers (conversation, reasoning, execution): what crosses a boundary,
and nothing more.

On the wire they are camelCase JSON (``jobId``); in Python, snake_case attributes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictStr, field_validator
from pydantic.alias_generators import to_camel

from governed_assistant.errors import shown

JobStatus = Literal["accepted", "processing", "awaiting_approval", "complete", "failed", "rejected"]
GateOutcome = Literal["allow", "approve", "deny", "shadow"]
Stage = Literal[
    "guardrail_input", "retrieve", "guardrail_context", "reason", "gate", "approval_requested",
    "approval_decided", "execute", "compensate", "guardrail_output", "complete",
]  # fmt: skip
DECISION_EVENT_SCHEMA_VERSION = 1

# An action type is a Bedrock tool name: botocore's bedrock-runtime ToolName shape (2023-09-30).
ACTION_TYPE_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_RESOURCE_ID_CHARS: Final = 256
MAX_TENANT_ID_CHARS: Final = 128


class Contract(BaseModel):
    """camelCase on the wire, unknown fields refused, immutable once built."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class TenantContext(Contract):
    """Who is asking. Built only from verified token claims, never from a body or the model."""

    tenant_id: str = Field(min_length=1, max_length=128)
    user_id: str = Field(min_length=1, max_length=256)
    roles: tuple[str, ...] = ()
    request_id: str = Field(min_length=1, max_length=128)


class ActionProposal(Contract):
    """The only thing the model may produce for an action.

    Every rule a proposal must meet is here, so the tool-use parser (which builds proposals only
    through this model) and the gate (which validates through it) cannot disagree. Whether the
    action exists, the parameters fit it and the tenant is the caller's is the gate's to decide.
    """

    action_type: StrictStr
    resource_id: StrictStr
    tenant_id: StrictStr
    parameters: dict[StrictStr, Any]

    @field_validator("action_type")
    @classmethod
    def _action_type_is_a_tool_name(cls, value: str) -> str:
        if not ACTION_TYPE_PATTERN.fullmatch(value):  # match() would let a trailing "\n" through
            raise ValueError(
                f"actionType must be an action name of 1 to 64 letters, digits, '_' or '-' "
                f"(a Bedrock tool name), got={shown(value)}"
            )
        return value

    @field_validator("resource_id")
    @classmethod
    def _resource_id_is_printable(cls, value: str) -> str:
        return _identifier("resourceId", value, MAX_RESOURCE_ID_CHARS)

    @field_validator("tenant_id")
    @classmethod
    def _tenant_id_is_printable(cls, value: str) -> str:
        return _identifier("tenantId", value, MAX_TENANT_ID_CHARS)


class TenantClaim(Contract):
    """A value a proposal gives under a tenant-ish key (``tenantId``, ``parameters.x.tenant``...)."""

    path: str
    value: Any


class MalformedProposal(Contract):
    """What the reasoning layer hands the gate for a tool use that is not an ActionProposal.

    It says why and which tenants the tool use names, and never carries the tool use itself:
    nothing downstream can act on it (it has no ``actionType`` to route on and no ``resourceId``
    to run with), and the gate denies it with ``malformed_proposal``.
    """

    malformed: Literal[True] = True
    # The tool's name as the model sent it, escaped and cut (errors.shown): for the decision trace.
    tool_name: str = Field(max_length=80)
    # The parser's reason, location and message.
    problem: str = Field(max_length=2000)
    # Every tenant the tool use names (runtime.actions.tenant_claims): the gate flags a
    # cross-tenant attempt even when the tool use is malformed.
    tenant_claims: tuple[TenantClaim, ...] = ()


def _identifier(name: str, value: str, limit: int) -> str:
    """``value`` if it is 1 to ``limit`` printable characters; no control character, line break or tab."""
    if not 1 <= len(value) <= limit or not value.isprintable():
        raise ValueError(
            f"{name} must be 1 to {limit} printable characters (no control characters, line breaks, "
            f"tabs or other separators), got={shown(value)}; send the id exactly as the system knows it"
        )
    return value


class GateDecision(Contract):
    """What the gate decided, and why: ``reasons`` for people, ``reason_codes`` for telemetry."""

    outcome: GateOutcome
    risk: float = Field(ge=0.0, le=1.0)
    reasons: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    # One code per reason, in the same order (e.g. "tenant_mismatch"); stable for dashboards.
    reason_codes: tuple[str, ...] = ()
    # True when the proposal tried to cross a tenant boundary: alert on it, whatever the outcome.
    security_event: bool = False


class ActionRequest(Contract):
    """What an action's ``execute`` and ``compensate`` receive, after the gate allowed it."""

    job_id: str
    context: TenantContext
    action_type: str
    resource_id: str
    parameters: dict[str, Any]
    # A workflow step's name (``actions/<action>.py`` defines a function per step); None for one-step actions.
    step: str | None = None
    # What the earlier steps returned, by step name (ActionResult dicts): a later step builds on them,
    # and compensation learns what completed.
    results: dict[str, Any] = Field(default_factory=dict)


class ActionResult(Contract):
    """What an action returns. ``summary`` is what the user is told."""

    status: Literal["succeeded", "failed", "not_implemented"]
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def ok(cls, summary: str, **data: Any) -> ActionResult:
        return cls(status="succeeded", summary=summary, data=data)

    @classmethod
    def not_implemented(cls, module: str, function: str, what: str) -> ActionResult:
        """The result a scaffolded stub returns until someone writes the real call."""
        return cls(
            status="not_implemented",
            summary=f"{module}: {function}() is a stub. Implement it to {what}.",
        )


class Job(Contract):
    job_id: str
    tenant_id: str
    user_id: str
    # The verified roles the job was asked with: the gate authorizes with these, never with
    # roles that travel in the state machine's input alone.
    roles: tuple[str, ...] = ()
    status: JobStatus
    stage: str
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] | None = None
    error: str | None = None
    # The gate's decision and the digest of the exact proposal it judged
    # (governed_assistant.runtime.jobs.authority): the steps after the gate run only what these back.
    decision: GateOutcome | None = None
    proposal_digest: str | None = None
    # The approval the job asked for, when its decision is ``approve``.
    approval_id: str | None = None


class DecisionEvent(Contract):
    """One event per stage of a job: the decision trace (OpenTelemetry GenAI names where one fits).

    It reads back what it writes: the ``gen_ai.*`` names are accepted as well as camelCase.
    """

    event_id: str
    schema_version: int = DECISION_EVENT_SCHEMA_VERSION
    job_id: str
    tenant_id: str
    user_id: str
    stage: Stage
    outcome: str
    latency_ms: float = Field(ge=0)
    model_id: str | None = Field(
        None,
        serialization_alias="gen_ai.request.model",
        validation_alias=AliasChoices("modelId", "gen_ai.request.model"),
    )
    input_tokens: int | None = Field(
        None,
        ge=0,
        serialization_alias="gen_ai.usage.input_tokens",
        validation_alias=AliasChoices("inputTokens", "gen_ai.usage.input_tokens"),
    )
    output_tokens: int | None = Field(
        None,
        ge=0,
        serialization_alias="gen_ai.usage.output_tokens",
        validation_alias=AliasChoices("outputTokens", "gen_ai.usage.output_tokens"),
    )
    details: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime
