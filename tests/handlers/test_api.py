"""The conversation API: messages become jobs, jobs and approvals are read and decided within one tenant."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from governed_assistant.contracts import TenantContext
from governed_assistant.handlers import api, environment
from governed_assistant.handlers.constants import MAX_BODY_BYTES
from governed_assistant.handlers.environment import Environment
from governed_assistant.runtime.telemetry import recorder_from_env
from governed_assistant.testing import capture_events, lambda_context
from handler_harness import REGION, Stack, api_event, body_of

MESSAGES = "POST /messages"


def post_message(body: Any = None, **options: Any) -> dict[str, Any]:
    return api.handler(
        api_event("POST", "/messages", body=body, route_key=MESSAGES, **options), lambda_context()
    )


def get_job(job_id: str, **options: Any) -> dict[str, Any]:
    return api.handler(
        api_event("GET", f"/jobs/{job_id}", route_key="GET /jobs/{id}", path_id=job_id, **options),
        lambda_context(),
    )


def jobs_in_table(stack: Stack) -> list[dict[str, Any]]:
    return stack.dynamodb.scan(TableName="governed-jobs")["Items"]


def test_post_message_accepted_records_job_and_puts_state_machine_input(stack: Stack) -> None:
    """A screened message is recorded as the caller's job and handed to the bus as the state machine input."""
    stack.bedrock.screen_pass()
    with capture_events() as events:
        response = post_message({"message": "Close ticket acme-1 please"})
    assert response["statusCode"] == 202
    job_id = body_of(response)["jobId"]
    assert body_of(response) == {"jobId": job_id, "status": "accepted"}
    (accepted,) = stack.accepted_events()
    assert accepted["detail"] == {
        "jobId": job_id,
        "context": {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "req-alice"},
        "message": "Close ticket acme-1 please",
    }
    assert [(e.stage, e.outcome, e.tenant_id) for e in events] == [("guardrail_input", "passed", "acme")]
    job = body_of(get_job(job_id))
    assert (job["status"], job["tenantId"], job["userId"]) == ("accepted", "acme", "alice")


def test_post_message_blocked_input_ends_job_rejected_with_guardrail_message(stack: Stack) -> None:
    """A blocked message is answered with the guardrail's message; the job is rejected and nothing runs."""
    stack.bedrock.screen_block("I can't discuss that.")
    response = post_message({"message": "How do I sue my neighbour?"})
    assert response["statusCode"] == 200
    body = body_of(response)
    assert (body["status"], body["message"]) == ("rejected", "I can't discuss that.")
    job = body_of(get_job(body["jobId"]))
    assert (job["status"], job["error"]) == ("rejected", "I can't discuss that.")
    assert stack.accepted_events() == []


def test_post_message_anonymized_input_travels_masked(stack: Stack) -> None:
    """Only the guardrail's masked text reaches the execution layer."""
    stack.bedrock.screen_anonymize("Email {EMAIL} about it")
    assert post_message({"message": "Email bob@example.com about it"})["statusCode"] == 202
    (accepted,) = stack.accepted_events()
    assert accepted["detail"]["message"] == "Email {EMAIL} about it"


def test_post_message_guardrail_unavailable_fails_job_closed(stack: Stack) -> None:
    """When the input cannot be screened, the job fails and the message goes nowhere (503)."""
    stack.bedrock.fail_guardrail()
    response = post_message({"message": "hello"})
    assert (response["statusCode"], body_of(response)["error"]) == (503, "guardrail_unavailable")
    (item,) = jobs_in_table(stack)
    assert item["status"]["S"] == "failed"
    assert stack.accepted_events() == []


def test_post_message_bus_failure_marks_job_failed(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job whose "job accepted" event cannot be put is marked failed, never left dangling (503)."""
    monkeypatch.setenv("GOVERNED_EVENT_BUS", "no-such-bus")
    stack.bedrock.screen_pass()
    response = post_message({"message": "hello"})
    body = body_of(response)
    assert (response["statusCode"], body["error"]) == (503, "dispatch_failed")
    assert "ResourceNotFoundException" in body["message"]
    (item,) = jobs_in_table(stack)
    assert (item["status"]["S"], item["stage"]["S"]) == ("failed", "dispatch")


def test_post_message_tenant_in_body_is_refused_and_creates_nothing(stack: Stack) -> None:
    """A tenantId in the body never picks the tenant: the body is refused and no job exists anywhere."""
    response = post_message({"message": "hi", "tenantId": "globex"})
    assert (response["statusCode"], body_of(response)["error"]) == (400, "unknown_field")
    assert jobs_in_table(stack) == []


def test_post_message_tenant_in_headers_and_query_is_ignored(stack: Stack) -> None:
    """A tenant named in a header or the query string changes nothing: the job is the token's tenant's."""
    stack.bedrock.screen_pass()
    response = post_message(
        {"message": "hi"},
        headers={"x-tenant-id": "globex", "tenantid": "globex"},
        query={"tenantId": "globex"},
    )
    assert response["statusCode"] == 202
    (item,) = jobs_in_table(stack)
    assert item["pk"]["S"].startswith("acme#")
    assert stack.accepted_events()[0]["detail"]["context"]["tenantId"] == "acme"


@pytest.mark.parametrize(
    ("options", "status", "code"),
    [
        pytest.param({"raw_body": "{not json"}, 400, "invalid_json", id="malformed-json"),
        pytest.param({"raw_body": "[1, 2]"}, 400, "invalid_body", id="not-an-object"),
        pytest.param({}, 400, "missing_body", id="no-body"),
        pytest.param({"body": {}}, 400, "missing_field", id="missing-message"),
        pytest.param({"body": {"message": ""}}, 400, "invalid_field", id="empty-message"),
        pytest.param({"body": {"message": 42}}, 400, "invalid_field", id="message-not-text"),
        pytest.param({"body": {"message": "x" * 9000}}, 400, "invalid_field", id="message-too-long"),
        pytest.param({"body": {"message": "hi", "extra": 1}}, 400, "unknown_field", id="extra-field"),
        pytest.param({"body": {"message": "x" * (MAX_BODY_BYTES + 1)}}, 413, "payload_too_large",
                     id="oversized"),
        pytest.param(
            {"body": {"message": "hi"}, "headers": {"content-type": "text/plain"}},
            415, "unsupported_media_type", id="wrong-content-type",
        ),
        pytest.param({"tenant": None, "body": {"message": "hi"}}, 401, "unauthorized",
                     id="no-verified-claims"),
        pytest.param({"raw_body": "[" * 1000 + "]" * 1000}, 400, "body_too_deep",
                     id="array-nested-1000-deep"),
        pytest.param({"raw_body": '{"message": ' + '{"a": ' * 1000 + "1" + "}" * 1001}, 400, "body_too_deep",
                     id="object-nested-1000-deep"),
        pytest.param({"raw_body": '{"message": ' + "[" * 17 + "]" * 17 + "}"}, 400, "body_too_deep",
                     id="one-level-too-deep"),
        pytest.param({"raw_body": "[" * 5000}, 400, "body_too_deep", id="unclosed-nesting"),
    ],
)  # fmt: skip
def test_post_message_bad_request_is_a_4xx_that_says_why(
    stack: Stack, options: dict[str, Any], status: int, code: str
) -> None:
    """Every malformed request gets a 4xx JSON error with a message, and records no job."""
    response = post_message(**options)
    body = body_of(response)
    assert (response["statusCode"], body["error"]) == (status, code)
    assert body["message"]
    assert jobs_in_table(stack) == []


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        pytest.param("GET", "/nowhere", 404, "route_not_found", id="unknown-path"),
        pytest.param("DELETE", "/messages", 405, "method_not_allowed", id="wrong-method"),
        pytest.param("GET", "/jobs/has#hash", 404, "route_not_found", id="id-not-ours"),
    ],
)
def test_unknown_route_is_a_4xx(stack: Stack, method: str, path: str, status: int, code: str) -> None:
    """A request no route serves is refused before anything else is read."""
    response = api.handler(api_event(method, path), lambda_context())
    assert (response["statusCode"], body_of(response)["error"]) == (status, code)


@pytest.mark.parametrize(
    "http",
    [pytest.param(None, id="null"), pytest.param("GET /jobs", id="string"), pytest.param([1], id="list")],
)
def test_request_context_http_not_an_object_is_a_4xx(stack: Stack, http: Any) -> None:
    """An event whose requestContext.http is not an object is refused as no route, not a 500."""
    event = api_event("GET", "/nowhere")
    event["requestContext"]["http"] = http
    assert api.handler(event, lambda_context())["statusCode"] == 404


def test_post_message_base64_body_is_decoded(stack: Stack) -> None:
    """A base64-encoded body (binary media types) is read like a plain one."""
    stack.bedrock.screen_pass()
    event = api_event("POST", "/messages", route_key=MESSAGES)
    event |= {"body": base64.b64encode(b'{"message": "hi"}').decode(), "isBase64Encoded": True}
    assert api.handler(event, lambda_context())["statusCode"] == 202


def test_unexpected_failure_is_a_500_with_request_id(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug answers 500 with the request id to quote, not a stack trace."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(stack.env.jobs, "create", broken)
    response = post_message({"message": "hi"})
    body = body_of(response)
    assert (response["statusCode"], body["error"], body["requestId"]) == (500, "internal_error", "req-alice")
    assert "boom" not in response["body"]


@pytest.mark.parametrize(
    ("reader", "status"),
    [
        pytest.param({"tenant": "acme", "user": "alice"}, 200, id="own-job"),
        pytest.param({"tenant": "acme", "user": "ann", "roles": ("admin",)}, 200, id="tenant-admin"),
        pytest.param({"tenant": "acme", "user": "bob"}, 404, id="same-tenant-other-user"),
        pytest.param({"tenant": "globex", "user": "alice"}, 404, id="other-tenant-same-user-id"),
        pytest.param({"tenant": "globex", "user": "gina", "roles": ("admin",)}, 404, id="other-tenant-admin"),
    ],
)
def test_get_job_is_tenant_scoped(stack: Stack, reader: dict[str, Any], status: int) -> None:
    """A job is read by its user or its tenant's admin; for anyone else it does not exist (404, not 403)."""
    job = stack.env.jobs.create(TenantContext(tenant_id="acme", user_id="alice", request_id="r"))
    response = get_job(job.job_id, **reader)
    assert response["statusCode"] == status
    if status == 404:
        assert body_of(response)["error"] == "job_not_found"
    else:
        assert body_of(response)["jobId"] == job.job_id


def events_request(job_id: str, last: str | None = None, **options: Any) -> dict[str, Any]:
    headers = {"last-event-id": last} if last is not None else {}
    event = api_event(
        "GET",
        f"/jobs/{job_id}/events",
        route_key="GET /jobs/{id}/events",
        path_id=job_id,
        headers=headers,
        **options,
    )
    return api.handler(event, lambda_context())


def test_job_events_stream_progress_and_resume_after_last_event_id(stack: Stack) -> None:
    """The stream holds one event per progress entry, resumes after Last-Event-ID, and asks to reconnect."""
    jobs = stack.env.jobs
    job = jobs.create(TenantContext(tenant_id="acme", user_id="alice", request_id="r"))
    jobs.transition("acme", job.job_id, "processing", "execute:update_ticket_status")
    response = events_request(job.job_id)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"].startswith("text/event-stream")
    text = response["body"]
    assert text.count("event: progress\n") == 2
    assert "id: 1\n" in text and "id: 2\n" in text
    assert text.endswith("retry: 3000\n\n")  # three seconds: the browser's own default
    jobs.transition("acme", job.job_id, "complete", "complete", result={"text": "done"})
    resumed = events_request(job.job_id, last="2")["body"]
    assert resumed.startswith("id: 3\nevent: progress\ndata: ")
    assert '"status":"complete"' in resumed
    assert "retry:" not in resumed
    assert events_request(job.job_id, last="3")["statusCode"] == 204


@pytest.mark.parametrize(
    ("last", "reader", "status"),
    [
        pytest.param("abc", {}, 400, id="last-event-id-not-a-number"),
        pytest.param(None, {"tenant": "globex"}, 404, id="other-tenant"),
    ],
)
def test_job_events_refusals(stack: Stack, last: str | None, reader: dict[str, Any], status: int) -> None:
    """A bad Last-Event-ID is a 400; another tenant's stream does not exist."""
    job = stack.env.jobs.create(TenantContext(tenant_id="acme", user_id="alice", request_id="r"))
    assert events_request(job.job_id, last, **reader)["statusCode"] == status


def request_approval(stack: Stack, requester: str = "alice", tenant: str = "acme") -> str:
    context = TenantContext(tenant_id=tenant, user_id=requester, roles=("supervisor",), request_id="r")
    job = stack.env.jobs.create(context)
    view = stack.env.approvals.request(
        context, job.job_id, "issue_refund on acme-9 (risk 0.8)", "secret-task-token",
        datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip
    return view.approval_id


def decide(approval_id: str, decision: str = "approve", **options: Any) -> dict[str, Any]:
    event = api_event(
        "POST", f"/approvals/{approval_id}", route_key="POST /approvals/{id}", path_id=approval_id,
        body={"decision": decision, "comment": "ok"}, **options,
    )  # fmt: skip
    return api.handler(event, lambda_context())


def test_get_approvals_lists_pending_without_task_tokens(stack: Stack) -> None:
    """An approver sees the tenant's pending approvals, never a task token."""
    approval_id = request_approval(stack)
    request_approval(stack, tenant="globex")
    event = api_event("GET", "/approvals", user="sam", roles=("supervisor",), route_key="GET /approvals")
    response = api.handler(event, lambda_context())
    assert response["statusCode"] == 200
    assert [a["approvalId"] for a in body_of(response)["approvals"]] == [approval_id]
    assert "secret-task-token" not in response["body"]


def test_get_approvals_non_approver_is_refused(stack: Stack) -> None:
    """Someone without an approver role cannot list approvals."""
    request_approval(stack)
    response = api.handler(
        api_event("GET", "/approvals", user="bob", route_key="GET /approvals"), lambda_context()
    )
    assert (response["statusCode"], body_of(response)["error"]) == (403, "not_approver")


@pytest.mark.parametrize(
    ("decider", "status", "code"),
    [
        pytest.param({"user": "alice", "roles": ("supervisor",)}, 403, "separation_of_duties",
                     id="requester"),
        pytest.param({"user": "bob", "roles": ("agent",)}, 403, "not_approver", id="non-approver"),
        pytest.param({"tenant": "globex", "user": "gus", "roles": ("supervisor",)}, 404, "approval_not_found",
                     id="other-tenant-approver"),
    ],
)  # fmt: skip
def test_post_approval_refusals(stack: Stack, decider: dict[str, Any], status: int, code: str) -> None:
    """The requester, a non-approver and another tenant's approver cannot decide; it stays pending."""
    approval_id = request_approval(stack)
    response = decide(approval_id, **decider)
    assert (response["statusCode"], body_of(response)["error"]) == (status, code)
    context = TenantContext(tenant_id="acme", user_id="sam", roles=("supervisor",), request_id="r")
    assert stack.env.approvals.get(context, approval_id, approver_roles=["supervisor"]).status == "pending"


def test_post_approval_decides_once_and_resumes_the_task(stack: Stack) -> None:
    """An approver's decision is recorded and sent with the task token; a second decision is refused."""
    approval_id = request_approval(stack)
    client = boto3.client("stepfunctions", region_name=REGION)
    stack.env._clients["stepfunctions"] = client
    with Stubber(client) as stub, capture_events() as events:
        stub.add_response(
            "send_task_failure",
            {},
            {"taskToken": "secret-task-token", "error": "ApprovalRejected", "cause": ANY},
        )
        response = decide(approval_id, "reject", user="sam", roles=("supervisor",))
        stub.assert_no_pending_responses()
    assert response["statusCode"] == 200
    assert (body_of(response)["status"], body_of(response)["decidedBy"]) == ("rejected", "sam")
    assert [(e.stage, e.outcome, e.user_id) for e in events] == [("approval_decided", "rejected", "sam")]
    again = decide(approval_id, user="sue", roles=("supervisor",))
    assert (again["statusCode"], body_of(again)["error"]) == (409, "already_decided")


def test_post_approval_task_no_longer_waiting_is_a_409(stack: Stack) -> None:
    """When the state machine stopped waiting (timed out), the approver hears so."""
    approval_id = request_approval(stack)
    client = boto3.client("stepfunctions", region_name=REGION)
    stack.env._clients["stepfunctions"] = client
    with Stubber(client) as stub:
        stub.add_client_error("send_task_success", "TaskTimedOut", "Task Timed Out")
        response = decide(approval_id, user="sam", roles=("supervisor",))
    assert (response["statusCode"], body_of(response)["error"]) == (409, "approval_closed")


@pytest.mark.parametrize(
    "raw_body",
    [
        pytest.param("[" * 1000 + "]" * 1000, id="array-nested-1000-deep"),
        pytest.param('{"decision": "approve", "comment": ' + "[" * 1000 + "]" * 1000 + "}", id="in-a-field"),
    ],
)
def test_post_approval_deeply_nested_body_is_a_400(stack: Stack, raw_body: str) -> None:
    """A body nested far deeper than any decision is refused with a 400, not a 500, and decides nothing."""
    approval_id = request_approval(stack)
    event = api_event(
        "POST", f"/approvals/{approval_id}", route_key="POST /approvals/{id}", path_id=approval_id,
        user="sam", roles=("supervisor",), raw_body=raw_body,
    )  # fmt: skip
    response = api.handler(event, lambda_context())
    assert (response["statusCode"], body_of(response)["error"]) == (400, "body_too_deep")
    context = TenantContext(tenant_id="acme", user_id="sam", roles=("supervisor",), request_id="r")
    assert stack.env.approvals.get(context, approval_id, approver_roles=["supervisor"]).status == "pending"


def test_post_message_text_with_brackets_is_accepted(stack: Stack) -> None:
    """Brackets inside a string are text, not nesting: such a message is accepted."""
    stack.bedrock.screen_pass()
    assert post_message({"message": "[" * 100 + ' {quoted \\" [ } ' + "]" * 100})["statusCode"] == 202


def test_post_approval_bad_decision_is_a_400(stack: Stack) -> None:
    """A decision other than approve or reject is refused with the allowed values."""
    approval_id = request_approval(stack)
    event = api_event(
        "POST", f"/approvals/{approval_id}", route_key="POST /approvals/{id}", path_id=approval_id,
        user="sam", roles=("supervisor",), body={"decision": "maybe"},
    )  # fmt: skip
    response = api.handler(event, lambda_context())
    assert (response["statusCode"], body_of(response)["error"]) == (400, "invalid_field")


@pytest.mark.parametrize(
    ("route_key", "path", "media"),
    [
        pytest.param("GET /console", "/console", "text/html", id="page"),
        pytest.param("GET /console.js", "/console.js", "text/javascript", id="script"),
        pytest.param(None, "/console", "text/html", id="page-default-route"),
    ],
)
def test_console_is_served_without_a_token_with_its_policy(
    stack: Stack, route_key: str | None, path: str, media: str
) -> None:
    """No authorizer ran and no token came: the console's page and script answer 200 with the policy."""
    response = api.handler(api_event("GET", path, tenant=None, route_key=route_key), lambda_context())
    headers = response["headers"]
    assert response["statusCode"] == 200 and headers["content-type"].startswith(media)
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"


def test_console_route_other_method_is_405(stack: Stack) -> None:
    """The console's path serves GET only."""
    response = api.handler(api_event("POST", "/console", tenant=None), lambda_context())
    assert (response["statusCode"], body_of(response)["error"]) == (405, "method_not_allowed")


def test_api_reaches_jobs_as_the_verified_tenant(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given a tenant data role, every job read and write runs on a session tagged with the token's tenant."""
    role_arn = boto3.client("iam", region_name=REGION).create_role(
        RoleName="tenant-data", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    monkeypatch.setenv("GOVERNED_TENANT_DATA_ROLE_ARN", role_arn)
    sts = boto3.client("sts", region_name=REGION)
    assumed: list[dict[str, Any]] = []
    sts.meta.events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **_: assumed.append(params)
    )
    environment.configure(
        Environment(
            clients={"bedrock-runtime": stack.bedrock.client, "sts": sts},
            recorder=recorder_from_env(sink=stack.sink),
        )
    )
    stack.bedrock.screen_pass()
    accepted = post_message({"message": "Refund order 1001"})
    job_id = body_of(accepted)["jobId"]
    assert get_job(job_id)["statusCode"] == 200
    # Another tenant's request is answered from a session tagged with that tenant, under its own key.
    assert get_job(job_id, tenant="globex")["statusCode"] == 404
    assert [(params["RoleArn"], params["Tags"]) for params in assumed] == [
        (role_arn, [{"Key": "tenantId", "Value": "acme"}]),
        (role_arn, [{"Key": "tenantId", "Value": "globex"}]),
    ]
    assert jobs_in_table(stack)[0]["pk"]["S"] == f"acme#{job_id}"
