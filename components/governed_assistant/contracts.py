"""The contracts between the layers (conversation, reasoning, execution): what crosses a boundary,
and nothing more.

On the wire they are camelCase JSON (``jobId``); in Python, snake_case attributes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

JobStatus = Literal["accepted", "processing", "awaiting_approval", "complete", "failed", "rejected"]
GateOutcome = Literal["allow", "approve", "deny", "shadow"]
Stage = Literal[
    "guardrail_input", "retrieve", "reason", "gate", "approval_requested", "approval_decided",
    "execute", "compensate", "guardrail_output", "complete",
]  # fmt: skip
DECISION_EVENT_SCHEMA_VERSION = 1


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
    """The only thing the model may produce for an action."""

    action_type: str
    resource_id: str = Field(min_length=1, max_length=256)
    tenant_id: str
    parameters: dict[str, Any]


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
