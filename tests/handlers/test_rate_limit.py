"""Each tenant's rate limit: counted from the verified token, before any work, one tenant at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.handlers import api
from governed_assistant.runtime.flags import RolloutFlags, build_flags_document, write_flags_file
from governed_assistant.runtime.ratelimit import RequestLimiter
from governed_assistant.spec.model import Limits
from governed_assistant.testing import lambda_context
from handler_harness import Stack, api_event, body_of

USAGE_TABLE = "governed-usage"  # the stack fixture's (conftest.USAGE_TABLE)
# 15 s into a window that starts on a whole minute: 45 s remain.
WINDOW_START = 1_800_000_000 - 1_800_000_000 % 60
NOW = WINDOW_START + 15
LIMIT = 3


@pytest.fixture
def limited(stack: Stack, tmp_path: Path) -> Stack:
    """The stack with a spec limit of LIMIT requests per minute and a clock stopped at NOW."""
    stack.env._parts["spec"] = stack.spec.model_copy(update={"limits": Limits(requests_per_minute=LIMIT)})
    use_flags(stack, tmp_path, {})
    stack.env._parts["limiter"] = RequestLimiter(stack.dynamodb, USAGE_TABLE, clock=lambda: NOW)
    return stack


def use_flags(stack: Stack, tmp_path: Path, rate_limits: dict[str, int]) -> None:
    spec = stack.env.spec
    document = build_flags_document(spec, live_tenants=["acme", "globex"], rate_limits=rate_limits)
    path = write_flags_file(tmp_path / "rate-flags.json", document)
    stack.env._parts["flags"] = RolloutFlags.from_environment(spec, flags_file=str(path))


def get_job(tenant: str = "acme", **options: Any) -> dict[str, Any]:
    event = api_event(
        "GET", "/jobs/job-1", route_key="GET /jobs/{id}", path_id="job-1", tenant=tenant, **options
    )
    return api.handler(event, lambda_context())


def statuses(count: int, tenant: str = "acme") -> list[int]:
    return [get_job(tenant)["statusCode"] for _ in range(count)]


def test_tenant_over_its_limit_gets_429_with_retry_after(limited: Stack) -> None:
    """The request past the limit is refused with rate_limited and the seconds left in the window."""
    assert statuses(4) == [404, 404, 404, 429]
    refused = get_job()
    assert refused["statusCode"] == 429
    assert body_of(refused)["error"] == "rate_limited"
    assert refused["headers"]["retry-after"] == "45"


def test_tenant_over_its_limit_does_not_limit_another_tenant(limited: Stack) -> None:
    """acme using up its limit leaves globex its whole limit."""
    assert statuses(4, "acme")[-1] == 429
    assert statuses(3, "globex") == [404, 404, 404]


def test_refused_message_records_no_job_and_screens_nothing(limited: Stack) -> None:
    """A message over the limit is refused before the job record and the guardrail: nothing is stored."""
    statuses(3)
    event = api_event("POST", "/messages", body={"message": "Close acme-1"}, route_key="POST /messages")
    response = api.handler(event, lambda_context())  # no guardrail answer is queued: a call would fail
    assert (response["statusCode"], body_of(response)["error"]) == (429, "rate_limited")
    assert limited.dynamodb.scan(TableName="governed-jobs")["Items"] == []
    assert limited.accepted_events() == []


def test_tenant_in_body_does_not_choose_whose_limit_is_spent(limited: Stack) -> None:
    """A body naming globex spends acme's (the token's) limit; globex keeps all of its own."""
    for _ in range(3):
        event = api_event(
            "POST", "/messages", body={"message": "hi", "tenantId": "globex"}, route_key="POST /messages"
        )
        assert api.handler(event, lambda_context())["statusCode"] == 400  # unknown_field, still counted
    assert get_job("acme")["statusCode"] == 429
    assert statuses(3, "globex") == [404, 404, 404]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        pytest.param(5, [404] * 5 + [429], id="raised"),
        pytest.param(1, [404, 429, 429, 429, 429, 429], id="lowered"),
    ],
)
def test_rate_limit_flag_overrides_spec_limit_for_its_tenant(
    limited: Stack, tmp_path: Path, override: int, expected: list[int]
) -> None:
    """acme's rate_limit flag sets its limit; globex, without one, keeps the spec's three."""
    use_flags(limited, tmp_path, {"acme": override})
    assert statuses(6, "acme") == expected
    assert statuses(4, "globex") == [404, 404, 404, 429]


def test_next_window_starts_counting_again(limited: Stack) -> None:
    """A minute later the tenant has its whole limit back."""
    assert statuses(4)[-1] == 429
    limited.env._parts["limiter"] = RequestLimiter(limited.dynamodb, USAGE_TABLE, clock=lambda: NOW + 60)
    assert statuses(3) == [404, 404, 404]


def test_no_flags_store_uses_spec_limit(limited: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any flags store configured, the spec's limit still applies."""
    del limited.env._parts["flags"]
    monkeypatch.delenv("GOVERNED_FLAGS_FILE")
    assert statuses(4) == [404, 404, 404, 429]


def test_unauthenticated_request_spends_no_tenant_limit(limited: Stack) -> None:
    """A request without verified claims is refused (401) and counts against no tenant."""
    for _ in range(4):
        assert get_job(tenant=None)["statusCode"] == 401
    assert limited.dynamodb.scan(TableName=USAGE_TABLE)["Items"] == []


def stream(job_id: str, last: str | None = None) -> int:
    headers = {"last-event-id": last} if last is not None else None
    event = api_event(
        "GET", f"/jobs/{job_id}/events", route_key="GET /jobs/{id}/events", path_id=job_id, headers=headers
    )
    status: int = api.handler(event, lambda_context())["statusCode"]
    return status


def test_stream_reconnects_cost_a_tenth_of_a_request(limited: Stack) -> None:
    """With three requests a minute, one stream opens and twenty reconnects fit; the twenty-first does not."""
    job = limited.env.jobs.create(TenantContext(tenant_id="acme", user_id="alice", request_id="r"))
    assert stream(job.job_id) == 200
    assert [stream(job.job_id, last="1") for _ in range(20)] == [200] * 20
    assert stream(job.job_id, last="1") == 429


def test_stream_opened_without_last_event_id_costs_a_whole_request(limited: Stack) -> None:
    """A stream (re)opened without Last-Event-ID is a request like any other: the fourth is refused."""
    job = limited.env.jobs.create(TenantContext(tenant_id="acme", user_id="alice", request_id="r"))
    assert [stream(job.job_id) for _ in range(4)] == [200, 200, 200, 429]


def test_reconnects_to_another_route_cost_a_whole_request(limited: Stack) -> None:
    """Last-Event-ID on a route other than the stream buys no discount."""
    assert [get_job(headers={"last-event-id": "1"})["statusCode"] for _ in range(4)] == [404, 404, 404, 429]
