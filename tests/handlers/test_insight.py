"""Pattern C's trigger: a trusted insight becomes a job on the same governed path, anything else nothing."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.handlers import insight
from governed_assistant.handlers.exceptions import InsightEventError
from governed_assistant.testing import capture_events, lambda_context
from handler_harness import Stack

DETAIL = {
    "tenantId": "acme",
    "userId": "olga",
    "insight": {"title": "Export spike", "body": "5x calls", "rpm": 900},
}


def insight_event(
    detail: Any = DETAIL, source: str = "governed.insights", detail_type: Any = "insight raised"
) -> dict[str, Any]:
    return {"version": "0", "id": "evt-1", "source": source, "detail-type": detail_type, "detail": detail}


@pytest.mark.parametrize("preset", ["insights-to-action"])
def test_insight_creates_job_and_puts_job_accepted(stack: Stack) -> None:
    """The insight's tenant and user own the job; the framed message goes to the execution layer."""
    result = insight.handler(insight_event(), lambda_context())
    job = stack.env.jobs.load("acme", result["jobId"])
    assert (job.tenant_id, job.user_id, job.status) == ("acme", "olga", "accepted")
    (accepted,) = stack.accepted_events()
    detail = accepted["detail"]
    assert detail["context"] == {
        "tenantId": "acme",
        "userId": "olga",
        "roles": ["insights"],
        "requestId": "evt-1",
    }
    assert "Title: Export spike" in detail["message"] and '"rpm": 900' in detail["message"]


@pytest.mark.parametrize("preset", ["insights-to-action"])
def test_insight_roles_come_from_the_environment(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator may let insight jobs act with a spec role."""
    monkeypatch.setenv("GOVERNED_INSIGHT_ROLES", "platform-operator")
    insight.handler(insight_event(), lambda_context())
    assert stack.accepted_events()[0]["detail"]["context"]["roles"] == ["platform-operator"]


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        pytest.param(insight_event(source="someone.else"), "untrusted source", id="untrusted-source"),
        pytest.param(insight_event(detail_type="job accepted"), "detail type", id="other-detail-type"),
        pytest.param(insight_event(detail_type=None), "detail type", id="no-detail-type"),
        pytest.param(insight_event({**DETAIL, "roles": ["admin"]}), "roles", id="extra-field"),
        pytest.param(insight_event({**DETAIL, "tenantId": "acme#x"}), "tenantId", id="tenant-not-an-id"),
        pytest.param(insight_event({**DETAIL, "userId": ""}), "userId", id="no-user"),
        pytest.param(insight_event({**DETAIL, "insight": {"title": "t"}}), "insight.body", id="no-body"),
        pytest.param(insight_event({**DETAIL, "insight": {"title": "t", "body": "b", "blob": "x" * 5000}}),
                     "exceeds", id="oversized"),
        pytest.param(insight_event("not an object"), "detail", id="detail-not-object"),
    ],
)  # fmt: skip
def test_insight_invalid_event_is_refused_and_creates_nothing(stack: Stack, event: Any, problem: str) -> None:
    """An insight that is not exactly the documented shape, from the trusted source, records nothing
    but a security event."""
    with capture_events() as events, pytest.raises(InsightEventError, match=problem):
        insight.handler(event, lambda_context())
    ((stage, outcome, details),) = [(e.stage, e.outcome, e.details) for e in events]
    assert (stage, outcome, details["security_event"]) == ("guardrail_input", "deny", True)
    assert details["reason"].startswith("untrusted_insight: ")
    assert stack.dynamodb.scan(TableName="governed-jobs")["Items"] == []
    assert stack.accepted_events() == []
