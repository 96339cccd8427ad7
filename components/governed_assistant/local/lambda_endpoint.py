"""A local Lambda Invoke endpoint: ``POST /2015-03-31/functions/{name}/invocations``.

boto3 sends Lambda calls to ``AWS_ENDPOINT_URL_LAMBDA`` when it is set; pointing it here runs
the registered Python handlers in this process, with the request and response shapes of the
real API (botocore's ``Invoke``): the payload as the body, ``X-Amz-Function-Error: Unhandled``
and ``{"errorType", "errorMessage"}`` when the handler raises, so Step Functions' Retry and
Catch see the exception's class name as the error, exactly as on AWS.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from governed_assistant.local.servers import Listen, RunningServer, bind_http
from governed_assistant.testing.context import LambdaContext
from governed_assistant.wire import ENV_LOCAL_LAMBDA_PORT

Handler = Callable[[Any, Any], Any]
_PATH_PREFIX = "/2015-03-31/functions/"
_PATH_SUFFIX = "/invocations"
# Lambda's own limit on a synchronous request payload.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass
class Invocation:
    """One call the endpoint answered: which function, with what, and how it ended."""

    function_name: str
    payload: Any
    error_type: str | None = None


@dataclass
class LambdaEndpoint:
    """Registered handlers by function name (the last part of an ARN is the name)."""

    handlers: Mapping[str, Handler]
    invocations: list[Invocation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def function_name(self, name_or_arn: str) -> str:
        name = unquote(name_or_arn)
        if name.startswith("arn:"):
            # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
            name = name.split(":")[6]
        return name

    def invoke(self, name_or_arn: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Run the handler; returns (HTTP status, headers, body) as the Invoke API would."""
        name = self.function_name(name_or_arn)
        handler = self.handlers.get(name)
        if handler is None:
            error = {
                "Type": "User",
                "message": f"Function not found: {name}; registered={sorted(self.handlers)}",
            }
            return HTTPStatus.NOT_FOUND, {"x-amzn-ErrorType": "ResourceNotFoundException"}, _json(error)
        payload = json.loads(body) if body else {}
        with self._lock:
            self._counter += 1
            request_id = f"local-{self._counter:08d}"
        invocation = Invocation(name, payload)
        with self._lock:
            self.invocations.append(invocation)
        try:
            result = handler(payload, LambdaContext(function_name=name, aws_request_id=request_id))
        except Exception as error:  # a handler's exception is the function's error, as on AWS
            invocation.error_type = type(error).__name__
            body_out = {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            return HTTPStatus.OK, {"X-Amz-Function-Error": "Unhandled"}, _json(body_out)
        return HTTPStatus.OK, {"X-Amz-Executed-Version": "$LATEST"}, _json(result)

    def calls(self, name: str) -> list[Invocation]:
        with self._lock:
            return [call for call in self.invocations if call.function_name == name]


def _json(value: Any) -> bytes:
    return json.dumps(value, default=str).encode()


def _request_handler(endpoint: LambdaEndpoint) -> type[BaseHTTPRequestHandler]:
    class InvokeRequestHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if not (self.path.startswith(_PATH_PREFIX) and self.path.split("?")[0].endswith(_PATH_SUFFIX)):
                self._reply(HTTPStatus.NOT_FOUND, {}, _json({"message": f"unknown path {self.path}"}))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                error = {"message": f"payload of {length} bytes exceeds {MAX_PAYLOAD_BYTES}"}
                headers = {"x-amzn-ErrorType": "RequestTooLargeException"}
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, headers, _json(error))
                return
            name = self.path.split("?")[0][len(_PATH_PREFIX) : -len(_PATH_SUFFIX)]
            status, headers, body = endpoint.invoke(name, self.rfile.read(length))
            if self.headers.get("X-Amz-Invocation-Type") == "Event" and status == HTTPStatus.OK:
                status, body = HTTPStatus.ACCEPTED, b""
            self._reply(status, headers, body)

        def _reply(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the decision trace, not an access log, is what a user reads."""

    return InvokeRequestHandler


def start_lambda_server(endpoint: LambdaEndpoint, listen: Listen) -> RunningServer:
    """Serve ``endpoint`` where ``listen`` says; raises ``PortInUseError`` if the port is taken."""
    return RunningServer("local-lambda", bind_http(listen, _request_handler(endpoint)))


@contextmanager
def serve_lambda(
    handlers: Mapping[str, Handler], host: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[LambdaEndpoint, str]]:
    """Serve ``handlers`` on ``host:port`` (0: any free port); yields the endpoint and its URL."""
    endpoint = LambdaEndpoint(handlers)
    listen = Listen("Lambda endpoint", port, "--lambda-port", ENV_LOCAL_LAMBDA_PORT, host=host)
    running = start_lambda_server(endpoint, listen)
    try:
        yield endpoint, running.url
    finally:
        running.stop()
