"""The local HTTP API: API Gateway's JWT authorizer and Lambda proxy integration, on loopback.

Every route of the conversation layer, plus its own (``wire.LOCAL_ROUTES``: ``GET /health`` and
``GET /openapi.json``, the API's OpenAPI document, both without a token: they describe, they grant
nothing) and the dev issuer's JWKS at ``/.well-known/jwks.json``. Like API Gateway, it verifies
the bearer token before anything runs
(401 with the verifier's reason otherwise), builds the payload 2.0 event (``api_gateway``) and
invokes the API function through the local Lambda endpoint, so the event and the result cross a
JSON boundary as they do in AWS. A function error is API Gateway's 500. The console's routes
(``wire.CONSOLE_ROUTES``) reach the function without a token, as in AWS.

``POST /console/demo-tokens`` is the local stack's alone: given the run's console key (the fragment
of the console URL ``make dev`` prints), it answers the demo identities with tokens of the dev
issuer, for the console's sign-in form. Without the key it answers 403: the tokens go only to
whoever sees the banner, never to another local user or a web page the browser happens to show.

``GET /jobs/{id}/events`` streams: API Gateway would return the function's SSE body once; here
the stream stays open, re-invoking the function with ``Last-Event-ID`` and forwarding only events
not sent yet, until ``GET /jobs/{id}`` reports a terminal status (or the client goes away). With
``stream_events`` off it answers as API Gateway does: the function's body once, whose ``retry:``
line tells the client to reconnect (how a test drives a client the deployed way).
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Final
from urllib.parse import urlsplit

from pydantic import ValidationError

from governed_assistant.handlers.responses import JSON_TYPE, DemoTokens, GatewayError, Health
from governed_assistant.handlers.validation import DemoTokensBody
from governed_assistant.local.api_gateway import match_route, proxy_event, proxy_response
from governed_assistant.local.constants import API_FUNCTION
from governed_assistant.local.lambda_endpoint import LambdaEndpoint
from governed_assistant.local.servers import Listen, RunningServer, bind_http
from governed_assistant.runtime.identity import AuthenticationError, JwtVerifier
from governed_assistant.runtime.identity.constants import JWKS_WELL_KNOWN_PATH
from governed_assistant.runtime.jobs import TERMINAL_STATUSES
from governed_assistant.wire import (
    CONSOLE_ROUTES,
    ROUTE_DEMO_TOKENS,
    ROUTE_HEALTH,
    ROUTE_JOB,
    ROUTE_JOB_EVENTS,
    ROUTE_OPENAPI,
)

KEEPALIVE_SECONDS: Final = 15.0
MAX_STREAM_SECONDS: Final = 1800.0

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class LocalApi:
    """The pieces behind the API: who signs tokens, who verifies them, which function answers."""

    verifier: JwtVerifier | None
    jwks: Callable[[], dict[str, Any]]
    functions: LambdaEndpoint
    poll_seconds: float = 0.5
    # The OpenAPI document GET /openapi.json serves; None until the stack knows its URL.
    openapi: Mapping[str, Any] | None = None
    # The run's console key, and the demo identities' tokens POST /console/demo-tokens gives for it.
    console_key: str | None = None
    demo_tokens: Callable[[], DemoTokens] | None = None
    # Keep GET /jobs/{id}/events open until the job ends; off, answer once, as API Gateway does.
    stream_events: bool = True

    def invoke(self, event: Mapping[str, Any]) -> Reply:
        """Invoke the API function as API Gateway does; a function error is a 500."""
        status, headers, body = self.functions.invoke(API_FUNCTION, json.dumps(event).encode())
        if status != 200 or "X-Amz-Function-Error" in headers:
            return 500, {"content-type": JSON_TYPE}, _gateway_error("Internal Server Error")
        return proxy_response(json.loads(body) if body else None)

    def demo_tokens_reply(self, body: bytes) -> Reply:
        """The demo identities' tokens for the run's console key; 400 without a key, 403 for another."""
        if self.console_key is None or self.demo_tokens is None:
            return 503, {}, _gateway_error("The local API is still starting; retry in a moment")
        try:
            key = DemoTokensBody.model_validate_json(body or b"{}").key
        except ValidationError:
            return 400, {}, _gateway_error("Bad Request", detail='send {"key": "<the console key>"}')
        if not hmac.compare_digest(key.encode(), self.console_key.encode()):
            detail = "not this run's console key; open the console URL make dev printed"
            return 403, {}, _gateway_error("Forbidden", detail=detail)
        return 200, {"cache-control": "no-store"}, self.demo_tokens().model_dump_json(by_alias=True).encode()


def _gateway_error(message: str, **why: Any) -> bytes:
    """API Gateway's own error body (``{"message"}``); the local stack adds why it refused a token."""
    return GatewayError(message=message, **why).model_dump_json(exclude_none=True).encode()


def split_sse(body: bytes) -> list[tuple[str | None, bytes]]:
    """The SSE events of ``body``, each with its ``id`` (None for comments and id-less events)."""
    text = body.decode("utf-8").replace("\r\n", "\n")
    events: list[tuple[str | None, bytes]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event_id = next((line[3:].strip() for line in block.split("\n") if line.startswith("id:")), None)
        events.append((event_id, (block + "\n\n").encode()))
    return events


def job_status(body: bytes) -> str | None:
    """A job's status from the ``GET /jobs/{id}`` body: top level, or under ``job``."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, Mapping) and isinstance(document.get("job"), Mapping):
        document = document["job"]
    status = document.get("status") if isinstance(document, Mapping) else None
    return status if isinstance(status, str) else None


def _request_handler(api: LocalApi) -> type[BaseHTTPRequestHandler]:
    class ApiRequestHandler(BaseHTTPRequestHandler):
        server_version = "governed-local-api"

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            local_route = f"{method} {parts.path}"
            if local_route == ROUTE_HEALTH:
                self._reply(200, {}, Health().model_dump_json().encode())
                return
            if local_route == ROUTE_OPENAPI:
                if api.openapi is None:
                    self._reply(503, {}, _gateway_error("The local API is still starting; retry in a moment"))
                    return
                self._reply(200, {}, json.dumps(api.openapi).encode())
                return
            if local_route == ROUTE_DEMO_TOKENS:
                self._reply(*api.demo_tokens_reply(body))
                return
            if method == "GET" and parts.path == JWKS_WELL_KNOWN_PATH:
                self._reply(200, {}, json.dumps(api.jwks()).encode())
                return
            matched = match_route(method, parts.path)
            if matched is None:
                self._reply(404, {}, _gateway_error("Not Found"))
                return
            route_key, parameters = matched
            claims: Mapping[str, Any] | None = None
            if route_key not in CONSOLE_ROUTES:
                if api.verifier is None:
                    self._reply(503, {}, _gateway_error("The local API is still starting; retry in a moment"))
                    return
                try:
                    claims = api.verifier.verified_claims(self.headers.get("Authorization"))
                except AuthenticationError as error:
                    challenge = f'Bearer error="invalid_token", error_description="{error.reason}"'
                    refused = _gateway_error("Unauthorized", reason=error.reason, detail=error.message)
                    self._reply(401, {"www-authenticate": challenge}, refused)
                    return

            def event_for(key: str, extra_headers: Mapping[str, str] = {}) -> dict[str, Any]:
                headers = [(name, value) for name, value in self.headers.items()]
                headers += list(extra_headers.items())
                return proxy_event(
                    method=key.split(" ")[0],
                    path=key.split(" ", 1)[1].replace("{id}", parameters.get("id", "")),
                    query=parts.query,
                    headers=headers,
                    body=body if key == route_key else b"",
                    claims=claims,
                    route_key=key,
                    path_parameters=parameters,
                    source_ip=self.client_address[0],
                )

            if route_key == ROUTE_JOB_EVENTS and api.stream_events:
                self._stream(event_for)
                return
            self._reply(*api.invoke(event_for(route_key)))

        def _stream(self, event_for: Callable[..., dict[str, Any]]) -> None:
            last_id = self.headers.get("Last-Event-ID")
            status, headers, body = api.invoke(event_for(ROUTE_JOB_EVENTS))
            if status != 200:
                self._reply(status, headers, body)
                return
            self.send_response(200)
            self.send_header("Content-Type", headers.get("content-type", "text/event-stream"))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            sent: set[str] = set()
            ids = [event_id for event_id, _ in split_sse(body) if event_id is not None]
            if last_id in ids:
                # The client has these already (its Last-Event-ID), whether or not the function
                # left them out itself.
                sent.update(ids[: ids.index(last_id) + 1])
            started = last_write = time.monotonic()
            first = True
            try:
                while True:
                    for event_id, chunk in split_sse(body):
                        if (event_id is not None and event_id in sent) or (event_id is None and not first):
                            continue
                        self.wfile.write(chunk)
                        last_write = time.monotonic()
                        if event_id is not None:
                            sent.add(event_id)
                            last_id = event_id
                    self.wfile.flush()
                    first = False
                    job = api.invoke(event_for(ROUTE_JOB))
                    terminal = job[0] != 200 or job_status(job[2]) in TERMINAL_STATUSES
                    if time.monotonic() - started > MAX_STREAM_SECONDS:
                        return
                    if not terminal:
                        time.sleep(api.poll_seconds)
                        if time.monotonic() - last_write > KEEPALIVE_SECONDS:
                            self.wfile.write(b": keep-alive\n\n")
                            last_write = time.monotonic()
                    extra = {"Last-Event-ID": last_id} if last_id else {}
                    status, headers, body = api.invoke(event_for(ROUTE_JOB_EVENTS, extra))
                    if status != 200:
                        return
                    if terminal:
                        # One last read after the job ended, so its final events are sent too.
                        for event_id, chunk in split_sse(body):
                            if event_id is not None and event_id not in sent:
                                self.wfile.write(chunk)
                        self.wfile.flush()
                        return
            except (BrokenPipeError, ConnectionResetError):
                return  # the client went away; nothing to clean up

        def _reply(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            self.send_response(status)
            headers = {name.lower(): value for name, value in headers.items()}
            headers.setdefault("content-type", JSON_TYPE)
            for name, value in headers.items():
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the decision trace, not an access log, is what a user reads."""

    return ApiRequestHandler


def start_api_server(api: LocalApi, listen: Listen) -> RunningServer:
    """Serve the API where ``listen`` says; raises ``PortInUseError`` if the port is taken."""
    return RunningServer("local-api", bind_http(listen, _request_handler(api)))
