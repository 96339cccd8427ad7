"""Arbitrary requests at the API function: never a 5xx, never a job from a refused request.

A 5xx rolls flag deployments back (the 5xx alarm), so any input an anonymous client controls -
body, headers, path, method, and the claims of a token - must be answered with a 2xx or a 4xx.
"""

from __future__ import annotations

import json
import string
from typing import Any

from governed_assistant.handlers import api
from governed_assistant.runtime.identity import flatten_claims
from governed_assistant.testing import lambda_context
from governed_assistant.wire import ROUTES
from handler_harness import PROVIDER, Stack, api_event
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

TENANT, USER, GROUPS = "custom:tenantId", "sub", "cognito:groups"
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_tenants = st.sampled_from(["acme", "globex", "acme\n", "acme#1", "", " acme", "None"]) | _json_values
_users = st.sampled_from(["alice", "sam", " ", "u" * 300]) | _json_values
_roles = (
    st.sampled_from([["agent"], ["supervisor"], ["admin"], [], "agent", ["former supervisor"], "[agent]"])
    | _json_values
)
_odd_payloads = st.fixed_dictionaries(
    {},
    optional={TENANT: _tenants, USER: _users, GROUPS: _roles, "extra": _json_values},
)
_good_payloads = st.fixed_dictionaries(
    {
        TENANT: st.sampled_from(["acme", "globex"]),
        USER: st.sampled_from(["alice", "sam"]),
        GROUPS: st.sampled_from([["agent"], ["supervisor"], ["admin"], [], "supervisor"]),
    }
)
# Well-formed most of the time, so that requests get past identity and into the routes.
_payloads = st.sampled_from(["good", "good", "odd"]).flatmap(
    lambda kind: _good_payloads if kind == "good" else _odd_payloads
)

_ids = st.sampled_from(["j-1", "a-1", "", "x" * 70, "has#hash", "../..", "%00"]) | st.text(max_size=20)
_paths = st.one_of(
    st.sampled_from([route.split(" ", 1)[1] for route in ROUTES]),
    st.builds(lambda job_id: f"/jobs/{job_id}", _ids),
    st.builds(lambda approval_id: f"/approvals/{approval_id}", _ids),
    st.text(max_size=40),
)
_methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]) | st.text(max_size=8)
_route_keys = st.none() | st.sampled_from([*ROUTES, "$default"]) | st.text(max_size=20) | _json_values

_nested = st.integers(min_value=1, max_value=3000).flatmap(
    lambda depth: st.sampled_from(
        ["[" * depth + "]" * depth, '{"message": ' + '{"a": ' * depth + "1" + "}" * (depth + 1), "[" * depth]
    )
)
_messages = st.builds(lambda message: json.dumps({"message": message}), st.text(max_size=50))
_bodies = st.one_of(
    _messages,
    _messages,
    _messages,
    st.builds(
        lambda decision, comment: json.dumps({"decision": decision, "comment": comment}),
        st.sampled_from(["approve", "reject", "maybe"]),
        st.text(max_size=20) | st.none(),
    ),
    st.sampled_from(['{"message": "\\ud800"}', '{"message": "a\\u0000b"}', '{"message": 1e999}']),
    _nested,
    st.none(),
    st.text(max_size=200),
    st.builds(json.dumps, _json_values),
    _json_values,
)
_header_names = st.sampled_from(["content-type", "last-event-id", "x-tenant-id", "cookie"]) | st.text(
    string.ascii_letters + "-", min_size=1, max_size=12
)
_header_values = st.sampled_from(["application/json", "text/plain", "5", "-1", "abc"]) | st.text(max_size=30)
_headers = st.one_of(
    st.builds(
        lambda extra: {"content-type": "application/json", **extra},
        st.dictionaries(_header_names, _header_values, max_size=3),
    ),
    st.dictionaries(_header_names, _header_values, max_size=4),
    _json_values,
)


@st.composite
def _authorization(draw: st.DrawFn, payload: dict[str, Any]) -> str | None:
    """The Authorization header: the token of ``payload`` (bare or Bearer), a forgery, or noise."""
    kind = draw(st.sampled_from(["bearer"] * 6 + ["bare", "unsigned", "missing", "noise"]))
    if kind == "bearer":
        return PROVIDER.bearer(payload)
    if kind == "bare":
        return PROVIDER.token(payload)
    if kind == "unsigned":
        return PROVIDER.bearer(draw(_payloads), alg="none")
    if kind == "missing":
        return None
    return draw(st.text(max_size=60))


@st.composite
def _target(draw: st.DrawFn) -> tuple[Any, str, str, Any]:
    """Route key, method, path and path parameters: one of the API's routes, mostly, or anything."""
    if draw(st.sampled_from(["route", "route", "route", "anything"])) == "route":
        route = draw(st.sampled_from(ROUTES))
        method, template = route.split(" ", 1)
        path_id = draw(st.sampled_from(["j-1", "a-1"] * 4) | _ids)
        parameters = {"id": path_id} if "{id}" in template else None
        return route, method, template.replace("{id}", path_id), parameters
    parameters = draw(st.none() | st.fixed_dictionaries({"id": _ids}) | _json_values)
    return draw(_route_keys), draw(_methods), draw(_paths), parameters


@st.composite
def _events(draw: st.DrawFn) -> Any:
    """An API Gateway proxy event as a client could shape it, plus what the authorizer adds."""
    payload = draw(_payloads)
    route_key, method, path, parameters = draw(_target())
    headers = draw(_headers)
    authorization = draw(_authorization(payload))
    if isinstance(headers, dict) and authorization is not None:
        headers["authorization"] = authorization
    kind = draw(st.sampled_from(["verified"] * 5 + ["other-claims", "none", "anything"]))
    if kind == "verified":
        authorizer: Any = {"jwt": {"claims": flatten_claims(payload), "scopes": None}}
    elif kind == "other-claims":
        authorizer = {"jwt": {"claims": draw(st.dictionaries(st.text(max_size=16), _json_values))}}
    else:
        authorizer = None if kind == "none" else draw(_json_values)
    http = draw(st.just({"method": method, "path": path}) | _json_values)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "headers": headers,
        "requestContext": {
            "authorizer": authorizer,
            "http": http,
            "requestId": draw(st.sampled_from(["req-fuzz", ""]) | _json_values),
        },
        "isBase64Encoded": draw(st.sampled_from([False, False, False, True])),
    }
    if parameters is not None:
        event["pathParameters"] = parameters
    if draw(st.booleans()):
        event["queryStringParameters"] = draw(_json_values)
    body = draw(_bodies)
    if body is not None:
        event["body"] = body
    return draw(st.just(event) | _json_values) if draw(st.integers(0, 19)) == 0 else event


def _jobs(stack: Stack) -> int:
    return int(stack.dynamodb.scan(TableName="governed-jobs", Select="COUNT")["Count"])


@FUZZ
@given(request=_events())
def test_api_handler_arbitrary_request_never_5xx_nor_job_when_refused(stack: Stack, request: Any) -> None:
    """Whatever the body, headers, path and claims, the answer is a 2xx or 4xx; a refusal creates no job."""
    stack.bedrock.screen_pass()
    before = _jobs(stack)
    response = api.handler(request, lambda_context())
    status = response["statusCode"]
    event(f"{status} {json.loads(response['body']).get('error') if response.get('body') else ''}")
    assert status < 500, (status, response.get("body"))
    if status >= 400:
        assert _jobs(stack) == before, (status, response.get("body"))


@FUZZ
@given(
    route=st.sampled_from(["POST /messages", "POST /approvals/{id}"]),
    body=_bodies.filter(lambda body: isinstance(body, str)),
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8"]) | _header_values,
    encoded=st.sampled_from([False, False, False, True]),
    roles=st.sampled_from([("agent",), ("supervisor",), ()]),
)
def test_api_handler_arbitrary_body_from_a_verified_user_never_5xx_nor_job_when_refused(
    stack: Stack, route: str, body: str, content_type: str, encoded: bool, roles: tuple[str, ...]
) -> None:
    """A verified user's any body, content type and encoding get a 2xx or 4xx; a refusal creates no job."""
    stack.bedrock.screen_pass()
    path = route.split(" ", 1)[1].replace("{id}", "a-1")
    request = api_event(
        "POST", path, route_key=route, path_id="a-1" if "{id}" in route else None, raw_body=body,
        headers={"content-type": content_type}, roles=roles,
    )  # fmt: skip
    request["isBase64Encoded"] = encoded
    before = _jobs(stack)
    response = api.handler(request, lambda_context())
    status = response["statusCode"]
    event(f"{status} {json.loads(response['body']).get('error')}")
    assert status < 500, (status, response["body"])
    if status >= 400:
        assert _jobs(stack) == before, (status, response["body"])
