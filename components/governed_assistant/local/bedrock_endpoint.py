"""A local ``bedrock-runtime`` endpoint: the scripted model's Converse and the local guardrail.

Both are operations of one service, so one server answers ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``:
``POST /model/{modelId}/converse`` and ``POST /guardrail/{id}/version/{version}/apply``, with
botocore's rest-json shapes (errors as ``x-amzn-ErrorType`` plus ``{"message"}``), so a real
``boto3.client("bedrock-runtime")`` - the handlers' own - talks to it unchanged.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from governed_assistant.local.guardrail import LocalGuardrail
from governed_assistant.local.model_script import ScriptedModel, ScriptedModelError
from governed_assistant.local.servers import Listen, RunningServer, bind_http

_CONVERSE = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
_APPLY = re.compile(r"^/guardrail/(?P<id>[^/]+)/version/(?P<version>[^/]+)/apply$")


@dataclass
class BedrockEndpoint:
    """What the server answers with: the scripted model, and the guardrail known by ``guardrail_id``."""

    model: ScriptedModel
    guardrail: LocalGuardrail
    guardrail_id: str
    guardrail_calls: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, JSON body) for one request."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _error("SerializationException", 400, "the request body is not JSON")
        if not isinstance(request, Mapping):
            return _error("SerializationException", 400, "the request body must be a JSON object")
        if found := _CONVERSE.match(path):
            try:
                return HTTPStatus.OK, {}, self.model.converse(unquote(found["model"]), request)
            except ScriptedModelError as error:
                return _error(error.code, error.status, str(error))
        if found := _APPLY.match(path):
            return self._apply(unquote(found["id"]), request)
        return _error(
            "UnknownOperationException", 404, f"the local bedrock-runtime has no operation at {path}"
        )

    def _apply(
        self, identifier: str, request: Mapping[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        # Bedrock takes the id or the ARN (…:guardrail/<id>).
        if identifier.rsplit("/", 1)[-1] != self.guardrail_id:
            return _error(
                "ResourceNotFoundException",
                404,
                f"no guardrail {identifier}; the local stack serves guardrail_id={self.guardrail_id}",
            )
        source = request.get("source")
        content = request.get("content")
        if source not in ("INPUT", "OUTPUT") or not isinstance(content, list):
            return _error("ValidationException", 400, "source must be INPUT or OUTPUT and content a list")
        with self._lock:
            self.guardrail_calls.append(dict(request))
        return HTTPStatus.OK, {}, self.guardrail.apply(str(source), content)


def _error(code: str, status: int, message: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    return status, {"x-amzn-ErrorType": code}, {"message": message}


def _request_handler(endpoint: BedrockEndpoint) -> type[BaseHTTPRequestHandler]:
    class BedrockRequestHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = endpoint.handle(self.path.split("?")[0], self.rfile.read(length))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the decision trace records every model call and guardrail verdict."""

    return BedrockRequestHandler


def start_bedrock_server(endpoint: BedrockEndpoint, listen: Listen) -> RunningServer:
    """Serve ``endpoint`` where ``listen`` says; raises ``PortInUseError`` if the port is taken."""
    return RunningServer("local-bedrock", bind_http(listen, _request_handler(endpoint)))
