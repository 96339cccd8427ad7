"""The API's OpenAPI document: a valid 3.1 document of every route, and what the handlers answer.

The handlers run in-process on moto (``handler_harness``) for the answers the local stack cannot
provoke on demand (a guardrail or the bus failing, a crash, a job that no longer waits);
``tests/local/test_openapi_contract.py`` drives every route over HTTP. ``openapi_check`` is the
judge both use; the last tests here prove it refuses what the document does not describe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import boto3
import governed_assistant
import pytest
from botocore.stub import Stubber
from governed_assistant.contracts import TenantContext
from governed_assistant.handlers import api
from governed_assistant.handlers.authority import JOB_MISMATCH
from governed_assistant.handlers.http import ERROR_CODES
from governed_assistant.handlers.openapi import GATE_REASON_CODES, document_json, main, openapi_document
from governed_assistant.runtime.gate import ReasonCode
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.testing import lambda_context
from governed_assistant.wire import (
    CONSOLE_ROUTES,
    LOCAL_ROUTES,
    ROUTE_APPROVALS,
    ROUTE_CONSOLE,
    ROUTE_CONSOLE_SCRIPT,
    ROUTE_DECISION,
    ROUTE_JOB,
    ROUTE_JOB_EVENTS,
    ROUTE_MESSAGES,
    ROUTES,
)
from handler_harness import REGION, Stack, api_event
from openapi_spec_validator import validate

from tests.conftest import PRESETS, REPO_ROOT, preset_document
from tests.openapi_check import ContractViolationError, ResponseChecker

# Codes no HTTP request can draw: an event that is not HTTP, a route API Gateway never forwards,
# an approval id the approval step (not the API) collides on.
UNREACHABLE_OVER_HTTP = {"invalid_request", "method_not_allowed", "approval_exists"}


def _spec(preset: str = "bounded-action", **identity: Any) -> AssistantSpec:
    document = preset_document(preset)
    if identity:
        document["identity"] = identity
    return parse_spec(render_spec_yaml(document))


def _operations(document: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


@pytest.mark.parametrize(
    "spec",
    [
        *(pytest.param(_spec(preset), id=preset) for preset in PRESETS),
        pytest.param(
            _spec(provider="oidc", issuer="https://login.example.com/", audience="assistant"), id="oidc"
        ),
    ],
)
def test_openapi_document_is_a_valid_openapi_3_1_document(spec: AssistantSpec) -> None:
    """openapi-spec-validator accepts the document for every preset and both identity providers."""
    document = openapi_document(spec)
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_openapi_document_describes_every_route_once() -> None:
    """The API's five routes, the console's two and the local API's three, each with its method."""
    document = openapi_document(_spec())
    assert _operations(document) == {*ROUTES, *CONSOLE_ROUTES, *LOCAL_ROUTES}
    assert len(_operations(document)) == 10


def test_openapi_document_console_needs_no_token_and_answers_its_files() -> None:
    """GET /console and its script: no security requirement, the page as HTML, the script as JavaScript."""
    paths = openapi_document(_spec())["paths"]
    for route, media in ((ROUTE_CONSOLE, "text/html"), (ROUTE_CONSOLE_SCRIPT, "text/javascript")):
        method, path = route.split(" ", 1)
        operation = paths[path][method.lower()]
        assert operation["security"] == []
        assert list(operation["responses"]["200"]["content"]) == [media]
        assert "401" not in operation["responses"]


def test_openapi_document_request_bodies_are_closed_objects() -> None:
    """Both bodies refuse unknown fields (``extra="forbid"``): a tenantId in a body is an error."""
    schemas = openapi_document(_spec())["components"]["schemas"]
    assert schemas["MessageBody"]["additionalProperties"] is False
    assert schemas["MessageBody"]["required"] == ["message"]
    assert schemas["DecisionBody"]["additionalProperties"] is False
    assert schemas["DecisionBody"]["properties"]["decision"]["enum"] == ["approve", "reject"]


def test_openapi_document_names_the_specs_claims_and_roles() -> None:
    """Tenant, user and roles come from the spec's claim names; approvals require its approver roles."""
    claims = {"tenant": "tenant_id", "user": "sub", "roles": "roles"}
    spec = _spec(provider="oidc", issuer="https://login.example.com/", audience="assistant", claims=claims)
    document = openapi_document(spec)
    scheme = document["components"]["securitySchemes"]["bearerJwt"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert scheme["x-claims"] == claims
    assert "`tenant_id`" in scheme["description"] and "https://login.example.com/" in scheme["description"]
    for route in (ROUTE_APPROVALS, ROUTE_DECISION):
        method, path = route.split(" ", 1)
        security = document["paths"][path][method.lower()]["security"]
        assert security == [{"bearerJwt": [role]} for role in spec.approver_roles]
    for route in LOCAL_ROUTES:
        method, path = route.split(" ", 1)
        assert document["paths"][path][method.lower()]["security"] == []


def test_openapi_document_lists_every_error_code_and_reason_code() -> None:
    """Every error code with its status, each reachable one on a route; every gate reason code."""
    document = openapi_document(_spec())
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["error"]["enum"] == sorted(ERROR_CODES)
    on_routes = {
        code
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
        for status, response in operation["responses"].items()
        for code in json.dumps(response.get("content", {})).split('"')
        if code in ERROR_CODES and ERROR_CODES[code].status == int(status)
    }
    assert on_routes == set(ERROR_CODES) - UNREACHABLE_OVER_HTTP
    reason_codes = schemas["GateDecision"]["properties"]["reasonCodes"]["items"]["enum"]
    assert reason_codes == [*get_args(ReasonCode), JOB_MISMATCH] == list(GATE_REASON_CODES)


def test_cli_prints_the_document_and_writes_it(tmp_path: Path) -> None:
    """``python -m governed_assistant.handlers.openapi [spec]`` prints the JSON; ``--out`` writes it."""
    spec_path = REPO_ROOT / "assistant.yaml"
    printed = subprocess.run(
        [sys.executable, "-m", "governed_assistant.handlers.openapi", str(spec_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    expected = openapi_document(governed_assistant.load_spec(spec_path))
    assert json.loads(printed.stdout) == expected
    out = tmp_path / "openapi.json"
    assert main([str(spec_path), "--out", str(out)]) == 0
    assert out.read_text() == document_json(expected)


def test_cli_invalid_spec_exits_1_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spec that does not load prints its problems and writes nothing."""
    bad = tmp_path / "assistant.yaml"
    bad.write_text("spec_version: 2\nname: x\n")
    assert main([str(bad), "--out", str(tmp_path / "openapi.json")]) == 1
    assert "slug" in capsys.readouterr().err
    assert not (tmp_path / "openapi.json").exists()


# --- the handlers' answers, in-process -------------------------------------------------------


@pytest.fixture
def checker(stack: Stack) -> ResponseChecker:
    return ResponseChecker(openapi_document(stack.spec))


def _check(checker: ResponseChecker, route: str, response: dict[str, Any]) -> dict[str, Any]:
    checker.check(route, response["statusCode"], response["headers"], response["body"].encode())
    return response


def _call(route: str, path: str, **options: Any) -> dict[str, Any]:
    method = route.split(" ", 1)[0]
    path_id = path.rsplit("/", 2)[1] if path.endswith("/events") else path.rsplit("/", 1)[1]
    if "{id}" not in route:
        path_id = None
    return api.handler(api_event(method, path, route_key=route, path_id=path_id, **options), lambda_context())


def test_handler_failures_answer_as_documented(
    stack: Stack, checker: ResponseChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guardrail or bus failure, a crash, a missing claim: each status and body is the document's."""
    stack.bedrock.fail_guardrail()
    answer = _check(checker, ROUTE_MESSAGES, _call(ROUTE_MESSAGES, "/messages", body={"message": "hi"}))
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (503, "guardrail_unavailable")
    stack.bedrock.screen_pass()
    with monkeypatch.context() as patched:
        patched.setenv("GOVERNED_EVENT_BUS", "no-such-bus")
        answer = _check(checker, ROUTE_MESSAGES, _call(ROUTE_MESSAGES, "/messages", body={"message": "hi"}))
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (503, "dispatch_failed")

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(stack.env.jobs, "get", crash)
    answer = _check(checker, ROUTE_JOB, _call(ROUTE_JOB, "/jobs/j-1"))
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (500, "internal_error")
    answer = _check(checker, ROUTE_APPROVALS, _call(ROUTE_APPROVALS, "/approvals", tenant=None))
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (401, "unauthorized")


def test_job_and_events_answer_as_documented(stack: Stack, checker: ResponseChecker) -> None:
    """A job, its event stream (running, then finished), and the refusals of both routes."""
    alice = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="r-1")
    job = stack.env.jobs.create(alice, stage="guardrail_input")
    stack.env.jobs.transition("acme", job.job_id, "processing", "reason")
    assert _check(checker, ROUTE_JOB, _call(ROUTE_JOB, f"/jobs/{job.job_id}"))["statusCode"] == 200
    stream = _check(checker, ROUTE_JOB_EVENTS, _call(ROUTE_JOB_EVENTS, f"/jobs/{job.job_id}/events"))
    assert stream["statusCode"] == 200 and "event: progress" in stream["body"]
    stack.env.jobs.transition("acme", job.job_id, "complete", "complete", result={"outcome": "complete"})
    done = _call(ROUTE_JOB_EVENTS, f"/jobs/{job.job_id}/events", headers={"last-event-id": "3"})
    assert _check(checker, ROUTE_JOB_EVENTS, done)["statusCode"] == 204
    bad_last = _call(ROUTE_JOB_EVENTS, f"/jobs/{job.job_id}/events", headers={"last-event-id": "x"})
    refusals = [
        (ROUTE_JOB, _call(ROUTE_JOB, f"/jobs/{job.job_id}", user="mallory"), "job_not_found"),
        (ROUTE_JOB, _call(ROUTE_JOB, "/jobs/not.an.id"), "route_not_found"),
        (ROUTE_JOB_EVENTS, bad_last, "invalid_last_event_id"),
    ]
    for route, answer, code in refusals:
        assert json.loads(_check(checker, route, answer)["body"])["error"] == code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        pytest.param("TaskTimedOut", "approval_closed", id="task-timed-out"),
        pytest.param("ServiceUnavailable", "resume_failed", id="not-resumed"),
    ],
)
def test_decision_that_cannot_resume_the_job_answers_as_documented(
    stack: Stack, checker: ResponseChecker, error: str, code: str
) -> None:
    """A decision whose job no longer waits (409), or that cannot resume it (503): recorded, and said."""
    requester = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="r-1")
    job = stack.env.jobs.create(requester, stage="approval_requested")
    view = stack.env.approvals.request(
        requester, job.job_id, "issue_refund on acme-invoice-1 (risk 0.6)", "task-token",
        datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip
    client = boto3.client("stepfunctions", region_name=REGION)
    stack.env._clients["stepfunctions"] = client
    with Stubber(client) as stub:
        stub.add_client_error("send_task_success", error, "no")
        answer = _call(
            ROUTE_DECISION, f"/approvals/{view.approval_id}", user="sam", roles=("supervisor",),
            body={"decision": "approve"},
        )  # fmt: skip
    assert json.loads(_check(checker, ROUTE_DECISION, answer)["body"])["error"] == code


# --- the judge itself ------------------------------------------------------------------------


def test_checker_refuses_an_undocumented_field_status_code_or_type(
    stack: Stack, checker: ResponseChecker
) -> None:
    """An answer the handlers really sent passes; the same with an extra field, another status, an
    error code the route does not list, or another content type is refused."""
    stack.bedrock.screen_pass()
    accepted = _check(checker, ROUTE_MESSAGES, _call(ROUTE_MESSAGES, "/messages", body={"message": "hi"}))
    body = json.loads(accepted["body"])
    headers = accepted["headers"]
    with pytest.raises(ContractViolationError, match="tenantId"):
        checker.check(ROUTE_MESSAGES, 202, headers, json.dumps({**body, "tenantId": "acme"}).encode())
    with pytest.raises(ContractViolationError, match="does not list"):
        checker.check(ROUTE_MESSAGES, 201, headers, accepted["body"].encode())
    refused = {"error": "approval_not_found", "message": "no such approval", "requestId": "r"}
    with pytest.raises(ContractViolationError, match="approval_not_found"):
        checker.check(ROUTE_MESSAGES, 400, headers, json.dumps(refused).encode())
    with pytest.raises(ContractViolationError, match="text/plain"):
        checker.check(ROUTE_MESSAGES, 202, {"content-type": "text/plain"}, accepted["body"].encode())
