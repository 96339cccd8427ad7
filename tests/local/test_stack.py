"""The running local stack: EventBridge starts the real state machine, the API verifies and streams.

One stack serves the whole module (moto's state is process-wide, so stacks never overlap);
the handlers are ``tests.local.fakes``, registered by function name.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.local.stack import LocalStack
from governed_assistant.runtime.flags import RolloutFlags
from governed_assistant.wire import JOB_ACCEPTED_DETAIL_TYPE, JOB_EVENT_SOURCE

from tests.local.fakes import FakeAssistant


@pytest.fixture(scope="module")
def fake() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture(scope="module")
def stack(project_dir: Path, fake: FakeAssistant) -> Iterator[LocalStack]:
    with LocalStack.start(project_dir, port=0, handlers=fake.handlers(), poll_seconds=0.1) as running:
        yield running


def _request(
    stack: LocalStack, method: str, path: str, token: str | None = None, body: Any = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data=data, method=method)  # noqa: S310 - loopback
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback test URL
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_for_execution(stack: LocalStack, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = [job for job in stack.started if job.input.get("jobId") == job_id]
        if started:
            execution: dict[str, Any] = sfn.describe_execution(executionArn=started[0].execution_arn)
            if execution["status"] != "RUNNING":
                return execution
        time.sleep(0.1)
    raise AssertionError(f"no finished execution for job {job_id} within {timeout} s")


def test_put_events_job_accepted_runs_the_state_machine_through_the_handlers(
    stack: LocalStack, fake: FakeAssistant
) -> None:
    """A "job accepted" event starts the real ASL, whose tasks run the handlers to completion."""
    detail = {
        "jobId": "job-put-events",
        "context": {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "r-1"},
        "message": "solve ticket 1",
    }
    fake.jobs["job-put-events"] = {"jobId": "job-put-events", "status": "accepted"}
    before = len(stack.functions.invocations)
    boto3.client("events").put_events(
        Entries=[
            {
                "Source": JOB_EVENT_SOURCE,
                "DetailType": JOB_ACCEPTED_DETAIL_TYPE,
                "Detail": json.dumps(detail),
                "EventBusName": stack.resources.event_bus_name,
            }
        ]
    )
    execution = _wait_for_execution(stack, "job-put-events")
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["input"]) == detail
    called = [call.function_name for call in stack.functions.invocations[before:]]
    assert called == ["reason", "gate", "execute", "guardrail_output", "respond"]
    assert json.loads(execution["output"])["results"]["update_ticket_status"] == {"ok": True}


def test_put_events_failing_step_is_caught_and_recorded_as_failed(
    stack: LocalStack, fake: FakeAssistant
) -> None:
    """A handler's exception reaches Step Functions as its error: caught, recorded, the execution fails."""
    context = {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "r-3"}
    fake.jobs["job-explodes"] = {"jobId": "job-explodes", "status": "accepted"}
    boto3.client("events").put_events(
        Entries=[
            {
                "Source": JOB_EVENT_SOURCE,
                "DetailType": JOB_ACCEPTED_DETAIL_TYPE,
                "Detail": json.dumps({"jobId": "job-explodes", "context": context, "message": "explode"}),
                "EventBusName": stack.resources.event_bus_name,
            }
        ]
    )
    assert _wait_for_execution(stack, "job-explodes")["status"] == "FAILED"
    respond = [
        call.payload
        for call in stack.functions.calls("respond")
        if call.payload["state"]["jobId"] == "job-explodes"
    ]
    assert respond[0]["outcome"] == "failed" and respond[0]["state"]["error"]["Error"] == "RuntimeError"
    assert fake.jobs["job-explodes"]["status"] == "failed"


def test_put_events_other_source_starts_nothing(stack: LocalStack, fake: FakeAssistant) -> None:
    """An event the rule's pattern does not match starts no execution; the next matching one does."""
    before = len(stack.started)
    fake.jobs["job-after"] = {"jobId": "job-after", "status": "accepted"}
    context = {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "r-2"}
    boto3.client("events").put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": JOB_ACCEPTED_DETAIL_TYPE,
                "Detail": json.dumps({"jobId": job_id, "context": context, "message": "m"}),
                "EventBusName": stack.resources.event_bus_name,
            }
            for source, job_id in (("someone.else", "job-ignored"), (JOB_EVENT_SOURCE, "job-after"))
        ]
    )
    _wait_for_execution(stack, "job-after")
    assert [job.input["jobId"] for job in stack.started[before:]] == ["job-after"]


def test_api_post_messages_claims_come_from_the_token_only(stack: LocalStack) -> None:
    """POST /messages answers 202 for the token's tenant; a tenantId in the body changes nothing."""
    status, _, body = _request(
        stack,
        "POST",
        "/messages",
        stack.token("acme", "alice", ["agent"]),
        {"message": "hi", "tenantId": "globex"},
    )
    reply = json.loads(body)
    assert status == 202 and reply["tenantId"] == "acme" and reply["userId"] == "alice"
    assert _wait_for_execution(stack, reply["jobId"])["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        pytest.param(None, "missing_token", id="missing"),
        pytest.param("tampered", "bad_signature", id="tampered"),
        pytest.param("expired", "expired", id="expired"),
    ],
)
def test_api_bad_token_is_401_with_the_reason(
    stack: LocalStack, authorization: str | None, reason: str
) -> None:
    """Without a valid token the API answers 401 with the verifier's reason, before any handler runs."""
    token = None
    if authorization == "tampered":
        header, payload, signature = stack.token("acme", "alice").split(".")
        token = f"{header}.{payload}.{signature[:-4]}AAAA"
    elif authorization == "expired":
        token = stack.token("acme", "alice", expires_in=-60)
    before = len(stack.functions.calls("api"))
    status, headers, body = _request(stack, "POST", "/messages", token, {"message": "hi"})
    assert status == 401 and json.loads(body)["reason"] == reason
    assert "invalid_token" in headers["www-authenticate"]
    assert len(stack.functions.calls("api")) == before


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        pytest.param("GET", "/health", 200, id="health"),
        pytest.param("GET", "/nowhere", 404, id="unknown"),
        pytest.param("DELETE", "/messages", 404, id="wrong-method"),
    ],
)
def test_api_other_paths_answer_as_api_gateway(
    stack: LocalStack, method: str, path: str, expected: int
) -> None:
    """Health is open; a path or method without a route is API Gateway's 404."""
    assert _request(stack, method, path)[0] == expected


def test_api_jwks_serves_the_dev_issuer_key(stack: LocalStack) -> None:
    """The JWKS at the issuer's well-known path holds the key tokens are signed with."""
    status, _, body = _request(stack, "GET", "/.well-known/jwks.json")
    assert status == 200 and [key["kid"] for key in json.loads(body)["keys"]] == [stack.issuer.kid]


def test_api_events_stream_sends_each_event_once_until_the_job_ends(stack: LocalStack) -> None:
    """GET /jobs/{id}/events streams every stage's event once, then closes when the job is complete."""
    token = stack.token("acme", "alice", ["agent"])
    job_id = json.loads(_request(stack, "POST", "/messages", token, {"message": "go"})[2])["jobId"]
    status, headers, body = _request(stack, "GET", f"/jobs/{job_id}/events", token)
    ids = [line[4:] for line in body.decode().splitlines() if line.startswith("id: ")]
    stages = [
        json.loads(line[6:])["stage"] for line in body.decode().splitlines() if line.startswith("data: ")
    ]
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    assert ids == [str(number) for number in range(1, len(ids) + 1)]
    assert stages == ["reason", "gate", "execute", "guardrail_output", "respond"]


def test_api_events_stream_honours_last_event_id(stack: LocalStack) -> None:
    """A client resuming with Last-Event-ID gets only the events after it."""
    token = stack.token("acme", "alice", ["agent"])
    job_id = json.loads(_request(stack, "POST", "/messages", token, {"message": "go"})[2])["jobId"]
    _wait_for_execution(stack, job_id)
    body = _request(stack, "GET", f"/jobs/{job_id}/events", token, Last_Event_ID="3")[2].decode()
    assert [line[4:] for line in body.splitlines() if line.startswith("id: ")] == ["4", "5"]


def test_trace_prints_the_job_events_from_the_local_store(stack: LocalStack) -> None:
    """Decision events a handler records through the environment land in the stack's SQLite store."""
    token = stack.token("acme", "alice", ["agent"])
    job_id = json.loads(_request(stack, "POST", "/messages", token, {"message": "go"})[2])["jobId"]
    _wait_for_execution(stack, job_id)
    assert [event.stage for event in stack.events(job_id)] == ["complete"]
    assert f"Job {job_id}" in stack.trace(job_id) and "complete" in stack.trace(job_id)


def test_set_flags_kill_switch_and_shadow_reach_the_handlers(stack: LocalStack) -> None:
    """Flags written with set_flags are what the runtime reads from the environment's flags file."""
    context = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="r")
    try:
        stack.set_flags(kill_switch=True, live_tenants=["acme"])
        snapshot = RolloutFlags.from_environment(stack.spec).for_tenant(context)
        assert snapshot.kill_switch is True and snapshot.shadow is False
        stack.set_flags(shadow_tenants=["acme"])
        snapshot = RolloutFlags.from_environment(stack.spec).for_tenant(context)
        assert snapshot.kill_switch is False and snapshot.shadow is True
    finally:
        stack.set_flags()
