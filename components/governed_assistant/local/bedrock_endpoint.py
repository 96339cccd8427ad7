"""A local ``bedrock-runtime`` endpoint: the scripted model's Converse and the local guardrail.

Both are operations of one service, so one server answers ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``:
``POST /model/{modelId}/converse`` and ``POST /guardrail/{id}/version/{version}/apply``, with
botocore's rest-json shapes (errors as ``x-amzn-ErrorType`` plus ``{"message"}``), so a real
``boto3.client("bedrock-runtime")`` - the handlers' own - talks to it unchanged.

A Converse request with a ``guardrailConfig`` gets the local guardrail as Bedrock applies one:
on the input, the messages' ``guardContent`` blocks (all their text when there are none), each
on its own; a block it blocks stops the call before the model (``stopReason``
``guardrail_intervened``, the guardrail's input message), a block it masks reaches the model
masked. On the output, the model's text (never a tool use's input, which Bedrock's guardrail
does not read either): blocked or masked, the reply says so. With ``trace`` on, the reply's
``trace.guardrail`` holds the assessments, keyed by the guardrail's id.
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
from governed_assistant.local.model_script import ScriptedModel, ScriptedModelError, block_text
from governed_assistant.local.servers import Listen, RunningServer, bind_http
from governed_assistant.runtime.guardrails import CONVERSE_INTERVENED, GuardrailResult, result_from_response

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
                return self._converse(unquote(found["model"]), request)
            except ScriptedModelError as error:
                return _error(error.code, error.status, str(error))
        if found := _APPLY.match(path):
            return self._apply(unquote(found["id"]), request)
        return _error(
            "UnknownOperationException", 404, f"the local bedrock-runtime has no operation at {path}"
        )

    def _unknown(self, identifier: str) -> tuple[int, dict[str, str], dict[str, Any]] | None:
        # Bedrock takes the id or the ARN (…:guardrail/<id>).
        if identifier.rsplit("/", 1)[-1] == self.guardrail_id:
            return None
        return _error(
            "ResourceNotFoundException",
            404,
            f"no guardrail {identifier}; the local stack serves guardrail_id={self.guardrail_id}",
        )

    def _converse(
        self, model_id: str, request: Mapping[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        config = request.get("guardrailConfig")
        if not isinstance(config, Mapping):
            return HTTPStatus.OK, {}, self.model.converse(model_id, request)
        refused = self._unknown(str(config.get("guardrailIdentifier") or ""))
        if refused is not None:
            return refused
        trace = config.get("trace", "disabled") != "disabled"
        messages, verdicts = self._screen_input(request.get("messages"))
        blocked = next((verdict for verdict in verdicts if verdict[1].blocked), None)
        if blocked is not None:
            reply = _intervened_reply(blocked[1].text)
        else:
            reply = self.model.converse(model_id, {**request, "messages": messages})
            verdicts += self._screen_output(reply)
        if any(result.outcome != "passed" for _, result in verdicts):
            reply["stopReason"] = CONVERSE_INTERVENED
            if trace:
                reply["trace"] = {"guardrail": self._trace(verdicts)}
        return HTTPStatus.OK, {}, reply

    def _screen_input(
        self, messages: Any
    ) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], GuardrailResult]]]:
        """The messages as the model gets them (masked where the guardrail masks), and each verdict."""
        if not isinstance(messages, list):
            return [], []
        guarded = any(
            "guardContent" in block
            for message in messages
            if isinstance(message, Mapping)
            for block in message.get("content", [])
            if isinstance(block, Mapping)
        )
        verdicts: list[tuple[dict[str, Any], GuardrailResult]] = []
        screened: list[dict[str, Any]] = []
        for message in messages:
            if not isinstance(message, Mapping):
                continue
            content = []
            for block in message.get("content", []):
                text = block_text(block) if isinstance(block, Mapping) else None
                if text is None or ("guardContent" not in block if guarded else "text" not in block):
                    content.append(block)
                    continue
                response = self.guardrail.apply("INPUT", [{"text": {"text": text}}])
                result = result_from_response(response, "INPUT", text)
                verdicts.append((response, result))
                content.append(_with_text(block, result.text) if result.outcome == "anonymized" else block)
            screened.append({**message, "content": content})
        return screened, verdicts

    def _screen_output(self, reply: dict[str, Any]) -> list[tuple[dict[str, Any], GuardrailResult]]:
        """Screen the reply's text (not a tool use's input); replace it when the guardrail acts."""
        message = reply["output"]["message"]
        if any("toolUse" in block for block in message["content"]):
            return []
        text = "\n".join(str(block["text"]) for block in message["content"] if "text" in block)
        response = self.guardrail.apply("OUTPUT", [{"text": {"text": text}}])
        result = result_from_response(response, "OUTPUT", text)
        if result.outcome != "passed":
            message["content"] = [{"text": result.text}]
        return [(response, result)]

    def _trace(self, verdicts: list[tuple[dict[str, Any], GuardrailResult]]) -> dict[str, Any]:
        """botocore's GuardrailTraceAssessment: the acting input assessment and the output's."""
        inputs = [a for a, r in verdicts if r.source == "INPUT" and r.outcome != "passed"]
        outputs = [a for a, r in verdicts if r.source == "OUTPUT"]
        trace: dict[str, Any] = {}
        if inputs:
            trace["inputAssessment"] = {self.guardrail_id: inputs[0]["assessments"][0]}
            trace["actionReason"] = inputs[0].get("actionReason", "Guardrail intervened.")
        if outputs:
            trace["outputAssessments"] = {self.guardrail_id: [outputs[0]["assessments"][0]]}
            trace.setdefault("actionReason", outputs[0].get("actionReason", "No action."))
        return trace

    def _apply(
        self, identifier: str, request: Mapping[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        refused = self._unknown(identifier)
        if refused is not None:
            return refused
        source = request.get("source")
        content = request.get("content")
        if source not in ("INPUT", "OUTPUT") or not isinstance(content, list):
            return _error("ValidationException", 400, "source must be INPUT or OUTPUT and content a list")
        with self._lock:
            self.guardrail_calls.append(dict(request))
        return HTTPStatus.OK, {}, self.guardrail.apply(str(source), content)


def _with_text(block: Mapping[str, Any], text: str) -> dict[str, Any]:
    """``block`` (a text or guardContent block) carrying ``text`` instead."""
    if "text" in block:
        return {**block, "text": text}
    guarded = block["guardContent"]
    return {**block, "guardContent": {**guarded, "text": {**guarded["text"], "text": text}}}


def _intervened_reply(message: str) -> dict[str, Any]:
    """The Converse response (botocore's shape) when the input was blocked: the model never ran."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": message}]}},
        "stopReason": CONVERSE_INTERVENED,
        "usage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0},
        "metrics": {"latencyMs": 1},
    }


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
