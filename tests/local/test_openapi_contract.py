"""The local stack's API, driven over HTTP on every route, answers only as its OpenAPI document says.

The real handlers run (no fakes), with the sample executors and owners and tenant acme live, so a
message that needs approval takes the whole path: accepted, awaiting approval, listed, approved,
complete. Every answer on the way, and every refusal (API Gateway's and the function's), is held
to the document ``GET /openapi.json`` serves (``tests/openapi_check.py``): a status it does not
list for the route, or a body its schema refuses, fails the test.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from governed_assistant.authz import starter_policy
from governed_assistant.handlers.openapi import openapi_document
from governed_assistant.local.api_gateway import match_route
from governed_assistant.local.samples import SampleLedger, install_sample_actions
from governed_assistant.local.stack import LocalStack
from governed_assistant.spec import load_spec
from governed_assistant.wire import (
    CONSOLE_ROUTES,
    LOCAL_ROUTES,
    ROUTE_DEMO_TOKENS,
    ROUTE_HEALTH,
    ROUTE_OPENAPI,
    ROUTES,
)

from tests.conftest import REPO_ROOT
from tests.openapi_check import ResponseChecker

GATED = "please issue refund"  # issue_refund: risk 0.6, between the approval and deny thresholds
TERMINAL = {"complete", "failed", "rejected"}


class RecordingChecker(ResponseChecker):
    """Checks every answer, and remembers each route's statuses (to prove every route was driven)."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document)
        self.seen: dict[str, set[int]] = {}

    def check(self, route: str, status: int, headers: Any, body: bytes) -> None:
        super().check(route, status, headers, body)
        self.seen.setdefault(route, set()).add(status)


class Api:
    """The running local API, every answer checked against the document it serves."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.alice = stack.token("acme", "alice", ["agent"])
        self.bob = stack.token("acme", "bob", ["supervisor"])
        self.mallory = stack.token("acme", "mallory", ["agent"])
        status, _, body = self.raw("GET", "/openapi.json")
        assert status == 200
        self.checker = RecordingChecker(json.loads(body))

    def raw(self, method: str, path: str, token: str | None = None, data: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
        request = urllib.request.Request(self.stack.api_url + path, data=data, method=method)  # noqa: S310
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def call(self, method: str, path: str, token: str | None = None, body: Any = None, *,
             data: bytes | None = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
        """The answer's status and parsed body, once the checker passed it."""
        if body is not None:
            data = json.dumps(body).encode()
        sent = dict(headers or {})
        if data is not None:
            sent["Content-Type"] = content_type
        status, received, raw = self.raw(method, path, token, data, sent)
        self.checker.check(_route(method, path), status, received, raw)
        if not raw:
            return status, None
        text = raw.decode()
        return status, json.loads(text) if text.lstrip().startswith("{") else text

    def wait(self, job_id: str, until: set[str], token: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, job = self.call("GET", f"/jobs/{job_id}", token or self.alice)
            assert status == 200
            if job["status"] in until:
                return dict(job)
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} never reached {until}: {job}")


def _route(method: str, path: str) -> str:
    local = f"{method} {path}"
    if local in LOCAL_ROUTES:
        return local
    matched = match_route(method, path)
    assert matched is not None, f"{method} {path} is no route of the API"
    return matched[0]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    project = tmp_path_factory.mktemp("contract")
    shutil.copy(REPO_ROOT / "assistant.yaml", project / "assistant.yaml")
    (project / "prompts").mkdir()
    (project / "prompts" / "system.md").write_text("You are a test assistant.\n")
    spec = load_spec(project / "assistant.yaml")
    (project / "policies").mkdir()
    for role in spec.roles:
        (project / "policies" / f"{role}.cedar").write_text(starter_policy(spec, role))
    before = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "actions"}
    install_sample_actions(spec, SampleLedger(project / "ledger.jsonl"))
    try:
        with LocalStack.start(project, port=0, poll_seconds=0.1) as stack:
            stack.set_flags(live_tenants=("acme",))
            yield Api(stack)
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "actions"]:
            del sys.modules[name]
        sys.modules.update(before)


def test_served_document_is_the_generated_one_with_the_local_server(api: Api) -> None:
    """GET /openapi.json needs no token and is openapi_document(spec) with the running URL first."""
    status, document = api.call("GET", "/openapi.json")
    assert status == 200
    assert document == openapi_document(api.stack.spec, local_url=api.stack.api_url)
    assert api.call("GET", "/health") == (200, {"status": "ok"})


def test_message_refusals_answer_as_documented(api: Api) -> None:
    """No token, a forged one, and each malformed body: the gateway's and the function's refusals."""
    assert api.call("POST", "/messages", None, {"message": "hi"})[0] == 401
    forged = api.alice[:-4] + ("AAAA" if not api.alice.endswith("AAAA") else "BBBB")
    assert api.call("POST", "/messages", forged, {"message": "hi"})[0] == 401
    refusals = [
        ({"body": {"message": "hi", "tenantId": "globex"}}, 400, "unknown_field"),
        ({"body": {}}, 400, "missing_field"),
        ({"body": {"message": ""}}, 400, "invalid_field"),
        ({"data": b"{not json"}, 400, "invalid_json"),
        ({"data": b"[1]"}, 400, "invalid_body"),
        ({"data": b"[" * 40 + b"]" * 40}, 400, "body_too_deep"),
        ({"data": json.dumps({"message": "x" * 20000}).encode()}, 413, "payload_too_large"),
        ({"body": {"message": "hi"}, "content_type": "text/plain"}, 415, "unsupported_media_type"),
    ]
    for options, status, code in refusals:
        answer = api.call("POST", "/messages", api.alice, **options)
        assert (answer[0], answer[1]["error"]) == (status, code), options


def test_approval_flow_answers_as_documented(api: Api) -> None:
    """A gated action: accepted, awaiting approval, listed for an approver, refused to others,
    approved once, complete; its events stream; every step's answer is the document's."""
    status, accepted = api.call("POST", "/messages", api.alice, {"message": GATED})
    assert (status, accepted["status"]) == (202, "accepted")
    job_id = accepted["jobId"]
    job = api.wait(job_id, {"awaiting_approval", *TERMINAL})
    assert job["status"] == "awaiting_approval", job
    assert api.call("GET", "/approvals", api.alice)[0] == 403
    status, listed = api.call("GET", "/approvals", api.bob)
    (approval,) = [a for a in listed["approvals"] if a["jobId"] == job_id]
    assert approval["details"]["decision"]["reasonCodes"] == ["approval_required"]
    path = f"/approvals/{approval['approvalId']}"
    assert api.call("POST", path, api.alice, {"decision": "approve"})[1]["error"] == "not_approver"
    assert api.call("POST", path, api.bob, {"decision": "maybe"})[1]["error"] == "invalid_field"
    assert api.call("POST", "/approvals/no-such-approval", api.bob, {"decision": "approve"})[0] == 404
    status, decided = api.call("POST", path, api.bob, {"decision": "approve", "comment": "checked"})
    assert (status, decided["status"], decided["decidedBy"]) == (200, "approved", "bob")
    assert api.call("POST", path, api.bob, {"decision": "approve"})[1]["error"] == "already_decided"
    job = api.wait(job_id, TERMINAL)
    assert job["status"] == "complete", job
    status, stream = api.call("GET", f"/jobs/{job_id}/events", api.alice)
    assert status == 200 and "event: progress" in stream
    last = str(stream.count("event: progress"))
    assert api.call("GET", f"/jobs/{job_id}/events", api.alice, headers={"Last-Event-ID": last})[0] == 204
    assert api.call("GET", f"/jobs/{job_id}/events", api.alice, headers={"Last-Event-ID": "x"})[0] == 400
    assert api.call("GET", f"/jobs/{job_id}", api.mallory)[1]["error"] == "job_not_found"
    assert api.call("GET", "/jobs/not.an.id", api.alice)[1]["error"] == "route_not_found"
    assert api.call("GET", f"/jobs/{job_id}/events", None)[0] == 401


def test_kill_switch_and_rejection_answer_as_documented(api: Api) -> None:
    """With the kill switch on nothing is approved (409, still pending); a rejection ends the job."""
    job_id = api.call("POST", "/messages", api.alice, {"message": GATED})[1]["jobId"]
    assert api.wait(job_id, {"awaiting_approval", *TERMINAL})["status"] == "awaiting_approval"
    approval = next(a for a in api.call("GET", "/approvals", api.bob)[1]["approvals"] if a["jobId"] == job_id)
    path = f"/approvals/{approval['approvalId']}"
    api.stack.set_flags(live_tenants=("acme",), kill_switch=True)
    try:
        assert api.call("POST", path, api.bob, {"decision": "approve"})[1]["error"] == "kill_switch"
    finally:
        api.stack.set_flags(live_tenants=("acme",))
    status, decided = api.call("POST", path, api.bob, {"decision": "reject", "comment": "not this one"})
    assert (status, decided["status"]) == (200, "rejected")
    job = api.wait(job_id, TERMINAL)
    # The comment reaches the job's error in AWS (SendTaskFailure's cause); moto's server drops the cause.
    assert job["status"] == "rejected" and job["error"].startswith("Rejected by an approver")


def test_blocked_answered_shadowed_and_denied_jobs_answer_as_documented(api: Api) -> None:
    """A blocked message (200 rejected), a plain answer, a shadowed and a denied proposal: each job's
    result carries the gate's decision and its reason codes, as the document says."""
    status, blocked = api.call("POST", "/messages", api.alice, {"message": "I need legal advice"})
    assert (status, blocked["status"]) == (200, "rejected")
    answered = api.call("POST", "/messages", api.alice, {"message": "hello"})[1]["jobId"]
    assert api.wait(answered, TERMINAL)["status"] == "complete"
    ian = api.stack.token("initech", "ian", ["agent"])  # initech is not live: shadow mode
    shadowed = api.call("POST", "/messages", ian, {"message": GATED})[1]["jobId"]
    job = api.wait(shadowed, TERMINAL, token=ian)
    assert (job["status"], job["result"]["decision"]["outcome"]) == ("complete", "shadow")
    assert "shadow_mode" in job["result"]["decision"]["reasonCodes"]
    api.stack.set_flags(live_tenants=("acme",), kill_switch=True)
    try:
        denied = api.call("POST", "/messages", api.alice, {"message": "please update ticket status"})[1][
            "jobId"
        ]
        job = api.wait(denied, TERMINAL)
    finally:
        api.stack.set_flags(live_tenants=("acme",))
    assert (job["status"], job["result"]["decision"]["reasonCodes"]) == ("rejected", ["kill_switch"])


def test_console_and_demo_tokens_answer_as_documented(api: Api) -> None:
    """The console's page and script need no token; the demo identities' tokens come only for the run's
    console key, and the API takes them as the banner's."""
    status, page = api.call("GET", "/console")
    assert status == 200 and 'src="console.js"' in page
    assert api.call("GET", "/console.js")[0] == 200
    status, demo = api.call("POST", "/console/demo-tokens", body={"key": api.stack.console_key})
    assert status == 200 and {"alice", "bob", "grace"} <= {who["user"] for who in demo["identities"]}
    assert api.call("POST", "/console/demo-tokens", body={"key": "not-this-runs-key"})[0] == 403
    assert api.call("POST", "/console/demo-tokens", body={"token": "x"})[0] == 400
    (bob,) = [who for who in demo["identities"] if who["user"] == "bob" and who["tenant"] == "acme"]
    assert api.call("GET", "/approvals", bob["token"])[0] == 200


def test_every_route_was_driven_with_an_answer_and_a_refusal(
    api: Api, request: pytest.FixtureRequest
) -> None:
    """Each route of the API answered at least one success and one refusal above, all checked."""
    drivers = [
        item for item in request.session.items if item.module is request.module and item is not request.node
    ]
    if len(drivers) < 5:
        pytest.skip("run with the whole module: this checks what its other tests drove")
    for route in ROUTES:
        statuses = api.checker.seen.get(route, set())
        assert any(s < 300 for s in statuses) and any(s >= 400 for s in statuses), (route, statuses)
    assert {ROUTE_HEALTH, ROUTE_OPENAPI, ROUTE_DEMO_TOKENS, *CONSOLE_ROUTES} <= set(api.checker.seen)
