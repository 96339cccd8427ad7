"""The insight trigger (Pattern C): an insight on the bus becomes a job on the governed path.

A trusted producer puts ``source: governed.insights``, ``detail-type: insight raised``, with
detail ``{"tenantId", "userId", "insight": {"title", "body", ...}}``. The source, the detail
type and the detail are checked strictly; any other event is refused and recorded as a security
event (stage ``guardrail_input``), and creates nothing. For an accepted one, a job is recorded
for that tenant and user (the user to notify), and "job accepted" is put on the bus with a
message that frames the insight, so any follow-up action the model proposes is judged by the
same gate as a user's request.

The job acts with a service context whose roles are ``$GOVERNED_INSIGHT_ROLES`` (comma-separated),
by default ``insights``: a role no spec declares, so Cedar permits nothing for it until a policy
says so (``permit(principal in Role::"insights", action == Action::"...", resource)``), or the
operator names a spec role. Least privilege by default: an anomaly alone cannot act.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from governed_assistant.contracts import TenantContext
from governed_assistant.errors import shown
from governed_assistant.handlers.constants import DEFAULT_INSIGHT_ROLES, MAX_MESSAGE_CHARS
from governed_assistant.handlers.environment import Environment, current
from governed_assistant.handlers.exceptions import InsightEventError
from governed_assistant.handlers.jobstart import dispatch_job
from governed_assistant.handlers.logs import EVENT_ID, LOGGER
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.identity.constants import MAX_USER_ID_CHARS, TENANT_ID_PATTERN
from governed_assistant.runtime.jobs.constants import JOB_ID_PATTERN
from governed_assistant.wire import ENV_INSIGHT_ROLES, INSIGHT_DETAIL_TYPE, INSIGHT_EVENT_SOURCE

# The insight as the producer sent it may carry more than title and body (a metric, a window...).
MAX_INSIGHT_BYTES = 4096
# Who a refused event's security record names when the event does not say (well-formed).
UNKNOWN = "unknown"


class Insight(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=2000)


class InsightDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str = Field(alias="tenantId", pattern=TENANT_ID_PATTERN.pattern)
    user_id: str = Field(alias="userId", min_length=1, max_length=MAX_USER_ID_CHARS)
    insight: Insight

    @field_validator("user_id")
    @classmethod
    def _printable(cls, value: str) -> str:
        if value != value.strip() or not value.isprintable():
            raise ValueError("must be a printable user id without surrounding spaces")
        return value


@LOGGER.inject_lambda_context(correlation_id_path=EVENT_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    env = current()
    try:
        try:
            detail = parse_insight_event(event)
        except InsightEventError as refused:
            _record_refusal(env, event, refused)
            raise
        context = TenantContext(
            tenant_id=detail.tenant_id,
            user_id=detail.user_id,
            roles=insight_roles(),
            request_id=_request_id(event),
        )
        with LOGGER.append_context_keys(tenantId=context.tenant_id, userId=context.user_id):
            job = env.jobs.create(context, stage="insight")
            message = frame_insight(detail.insight)
            env.recorder.record(
                job.job_id, context, "guardrail_input", "trusted_source",
                details={"source": INSIGHT_EVENT_SOURCE, "title": detail.insight.title},
            )  # fmt: skip
            dispatch_job(env, context, job.job_id, message)
            LOGGER.info("Insight accepted", extra={"jobId": job.job_id})
            return {"jobId": job.job_id, "status": "accepted"}
    finally:
        env.recorder.flush()


def parse_insight_event(event: Any) -> InsightDetail:
    """The detail of a ``governed.insights`` event; ``InsightEventError`` for anything else."""
    if not isinstance(event, Mapping):
        raise InsightEventError(f"the event is not an object, got {type(event).__name__}")
    if event.get("source") != INSIGHT_EVENT_SOURCE:
        raise InsightEventError(f"untrusted source={shown(event.get('source'))}")
    if event.get("detail-type") != INSIGHT_DETAIL_TYPE:
        raise InsightEventError(f"unexpected detail type={shown(event.get('detail-type'))}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise InsightEventError("the detail is not an object")
    insight = detail.get("insight")
    if isinstance(insight, Mapping) and len(json.dumps(insight, default=str)) > MAX_INSIGHT_BYTES:
        raise InsightEventError(f"the insight exceeds {MAX_INSIGHT_BYTES} bytes of JSON")
    try:
        return InsightDetail.model_validate(dict(detail))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InsightEventError(f"{field}: {first['msg']}") from None


def _record_refusal(env: Environment, event: Any, refused: InsightEventError) -> None:
    """A security event for a refused insight: under its tenant and user when those are well formed."""
    raw: Mapping[str, Any] = event if isinstance(event, Mapping) else {}
    found = raw.get("detail")
    detail: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    tenant, user = detail.get("tenantId"), detail.get("userId")
    event_id = raw.get("id")
    context = TenantContext(
        tenant_id=tenant if isinstance(tenant, str) and TENANT_ID_PATTERN.fullmatch(tenant) else UNKNOWN,
        user_id=user if isinstance(user, str) and 0 < len(user) <= MAX_USER_ID_CHARS else UNKNOWN,
        roles=(),
        request_id=_request_id(raw),
    )
    job_id = event_id if isinstance(event_id, str) and JOB_ID_PATTERN.fullmatch(event_id) else UNKNOWN
    env.recorder.record_security_event(
        job_id,
        context,
        "guardrail_input",
        f"untrusted_insight: {refused.problem}",
        source=shown(raw.get("source")),
        detailType=shown(raw.get("detail-type")),
    )


def frame_insight(insight: Insight) -> str:
    """The message the model reads: the insight, marked as coming from monitoring, not from the user."""
    extra = {key: value for key, value in (insight.model_extra or {}).items()}
    lines = [
        "An automated insight was raised for you (it comes from monitoring, not from a person).",
        "Explain it briefly and, if one of your actions would address it, propose that action.",
        f"Title: {insight.title}",
        f"Details: {insight.body}",
    ]
    if extra:
        lines.append(f"Data: {json.dumps(extra, sort_keys=True, default=str)}")
    return "\n".join(lines)[:MAX_MESSAGE_CHARS]


def insight_roles() -> tuple[str, ...]:
    raw = os.environ.get(ENV_INSIGHT_ROLES)
    if not raw:
        return DEFAULT_INSIGHT_ROLES
    return tuple(role for role in (part.strip() for part in raw.split(",")) if role)


def _request_id(event: Mapping[str, Any]) -> str:
    event_id = event.get("id")
    return event_id[:128] if isinstance(event_id, str) and event_id else str(uuid.uuid4())
