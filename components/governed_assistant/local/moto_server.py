"""moto's server on loopback, with Step Functions executing state machines for real.

moto's own ``ThreadedMotoServer`` binds inside its thread (a taken port would hang ``start()``)
and takes no middleware, so this module serves moto's WSGI application - the very one
``ThreadedMotoServer`` serves - through the shared lifecycle in ``servers``, on a socket bound
here (werkzeug would ``sys.exit`` on a taken port).

Two process-wide settings make moto's interpreter call our handlers, and both are restored on stop:

- moto's config ``stepfunctions.execute_state_machine`` (set through moto's own
  ``/moto-api/config``), so executions run their ASL instead of succeeding at once;
- ``MOTO_PORT``: in server mode moto's interpreter sends every Lambda task to
  ``http://localhost:$MOTO_PORT`` (it ignores ``AWS_ENDPOINT_URL_LAMBDA`` there), so Invoke
  requests arriving at moto are forwarded to the local Lambda endpoint by ``LambdaRouting``.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from governed_assistant.local.servers import Listen, RunningServer, bind

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/[^/]+/invocations$")
# Headers of the Invoke API the endpoint reads and answers with.
_FORWARDED_REQUEST_HEADERS = ("X-Amz-Invocation-Type", "X-Amz-Log-Type", "X-Amz-Client-Context")
_FORWARDED_RESPONSE_HEADERS = ("X-Amz-Function-Error", "X-Amz-Executed-Version", "x-amzn-ErrorType")


class LambdaRouting:
    """WSGI middleware: Lambda Invoke requests go to ``lambda_url``; everything else to moto."""

    def __init__(self, app: WsgiApp, lambda_url: str) -> None:
        self.app = app
        self.lambda_url = lambda_url.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not _INVOKE_PATH.match(path):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {"Content-Type": "application/json"}
        for name in _FORWARDED_REQUEST_HEADERS:
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
            if value:
                headers[name] = value
        request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
            self.lambda_url + path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310 - loopback URL we built
                status, reply_headers, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, payload = error.code, error.headers, error.read()
        kept = [
            (name, reply_headers[name]) for name in _FORWARDED_RESPONSE_HEADERS if reply_headers.get(name)
        ]
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *kept],
        )
        return [payload]


def start_moto_server(listen: Listen, lambda_url: str) -> RunningServer:
    """moto's application behind ``LambdaRouting``, bound where ``listen`` says."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    class QuietRequestHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Quiet: one line per AWS call would bury the banner and the handlers' own logs."""

    app = LambdaRouting(DomainDispatcherApplication(create_backend_app), lambda_url)

    def factory(host: str, port: int) -> BaseWSGIServer:
        # werkzeug answers a bind error with sys.exit(1); binding a socket ourselves and handing
        # werkzeug its descriptor turns a taken port into an OSError, hence PortInUseError.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(128)
            bound = listener.getsockname()[1]
            # werkzeug duplicates the descriptor, so this socket may close when the block ends.
            return make_server(
                host, bound, app, threaded=True, request_handler=QuietRequestHandler, fd=listener.fileno()
            )

    server = bind(listen, factory)
    return RunningServer("local-moto", server)


def moto_api(url: str, path: str, document: dict[str, Any] | None = None) -> Any:
    """POST to moto's own ``/moto-api/...`` (reset, config) and return its JSON answer, if any."""
    data = json.dumps(document or {}).encode()
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
        f"{url}/moto-api/{path}", data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback URL we built
        text = response.read()
    return json.loads(text) if text.strip() else None
