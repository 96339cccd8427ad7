"""The handlers' test harness: API Gateway v2 events from verified claims, a stubbed Bedrock, action modules.

A module of its own (not conftest) so test modules import it by a name no other directory uses.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from governed_assistant.handlers.environment import Environment
from governed_assistant.local.guardrail import LocalGuardrail
from governed_assistant.runtime.guardrails import Guardrail
from governed_assistant.runtime.telemetry import MemorySink
from governed_assistant.spec import AssistantSpec
from governed_assistant.testing import TokenIssuer, identity_claims

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUS = "governed-bus"
GUARDRAIL_ID = "grtest"  # botocore's GuardrailIdentifier pattern: lower-case letters and digits
MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
# The identity provider API Gateway's JWT authorizer trusts; its tokens passed the authorizer.
PROVIDER = TokenIssuer()


def api_event(
    method: str,
    path: str,
    *,
    tenant: str | None = "acme",
    user: str = "alice",
    roles: Sequence[str] = ("agent",),
    body: Any = None,
    raw_body: str | None = None,
    headers: Mapping[str, str] | None = None,
    route_key: str | None = None,
    path_id: str | None = None,
    query: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event, as API Gateway sends it after its JWT authorizer verified
    a token carrying these claims: the token in the Authorization header, the claims flattened
    (roles to ``"[a b]"``, as HTTP APIs do). ``tenant=None``: no authorizer ran, no token."""
    all_headers = {"content-type": "application/json", **(headers or {})}
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    request_context: dict[str, Any] = {
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
        "requestId": f"req-{user}",
        "routeKey": route_key or "$default",
        "stage": "$default",
    }
    if tenant is not None:
        claims = identity_claims(tenant, user, roles)
        all_headers.setdefault("authorization", PROVIDER.bearer(claims))
        claims["cognito:groups"] = "[" + " ".join(roles) + "]"
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": all_headers,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_id is not None:
        event["pathParameters"] = {"id": path_id}
    if text is not None:
        event["body"] = text
    return event


def body_of(response: Mapping[str, Any]) -> Any:
    return json.loads(response["body"])


class Bedrock:
    """A real boto3 bedrock-runtime client behind botocore's Stubber: requests are validated against
    the service model, and each queued reply must have the real response shape."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.stubber = Stubber(client)
        self.stubber.activate()

    def answer(self, text: str, *, input_tokens: int = 120, output_tokens: int = 30) -> None:
        self._converse([{"text": text}], "end_turn", input_tokens, output_tokens)

    def propose(self, name: str, tool_input: Mapping[str, Any]) -> None:
        block = {"toolUse": {"toolUseId": "tooluse_1", "name": name, "input": dict(tool_input)}}
        self._converse([block], "tool_use", 200, 40)

    def screen_pass(self) -> None:
        self._guardrail("NONE", [], [])

    def screen_block(self, message: str) -> None:
        assessment = {"topicPolicy": {"topics": [{"name": "legal", "type": "DENY", "action": "BLOCKED"}]}}
        self._guardrail("GUARDRAIL_INTERVENED", [{"text": message}], [assessment])

    def screen_anonymize(self, masked: str) -> None:
        assessment = {
            "sensitiveInformationPolicy": {
                "piiEntities": [{"match": "x", "type": "EMAIL", "action": "ANONYMIZED"}],
                "regexes": [],
            }
        }
        self._guardrail("GUARDRAIL_INTERVENED", [{"text": masked}], [assessment])

    def fail_guardrail(self) -> None:
        self.stubber.add_client_error("apply_guardrail", "ThrottlingException", "slow down", 429)

    def intervene(self, message: str, assessment: Mapping[str, Any]) -> None:
        """The Converse call's guardrail intervened: its message instead of the model's, and its trace."""
        self.stubber.add_response(
            "converse",
            {
                "output": {"message": {"role": "assistant", "content": [{"text": message}]}},
                "stopReason": "guardrail_intervened",
                "usage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0},
                "metrics": {"latencyMs": 12},
                "trace": {"guardrail": {"inputAssessment": {GUARDRAIL_ID: dict(assessment)}}},
            },
        )

    def _converse(self, content: list[dict[str, Any]], stop: str, tokens_in: int, tokens_out: int) -> None:
        self.stubber.add_response(
            "converse",
            {
                "output": {"message": {"role": "assistant", "content": content}},
                "stopReason": stop,
                "usage": {
                    "inputTokens": tokens_in,
                    "outputTokens": tokens_out,
                    "totalTokens": tokens_in + tokens_out,
                },
                "metrics": {"latencyMs": 321},
            },
        )

    def _guardrail(self, action: str, outputs: list[dict[str, str]], assessments: list[Any]) -> None:
        self.stubber.add_response(
            "apply_guardrail",
            {"usage": _guardrail_usage(), "action": action, "outputs": outputs, "assessments": assessments},
        )


class LocalScreen:
    """A real bedrock-runtime client whose ApplyGuardrail the local guardrail answers, by content.

    The stubbed client answers in queue order; this one judges each text as the local stack does
    (denied topics, PII, the prompt-attack approximation), so a test can plant a hostile value
    anywhere and see it caught. Requests are serialized by botocore and each answer is checked
    against the ApplyGuardrail output shape; ``calls`` holds ``(source, text)`` in order.
    """

    def __init__(self, spec: AssistantSpec) -> None:
        self.local = LocalGuardrail(spec)
        self.calls: list[tuple[str, str]] = []
        self.client = boto3.client("bedrock-runtime", region_name=REGION)
        self.client.meta.events.register("before-call.bedrock-runtime.ApplyGuardrail", self._answer)
        self.guardrail = Guardrail(self.client, GUARDRAIL_ID, "1")

    def _answer(self, model: Any, params: Mapping[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = json.loads(params["body"])
        self.calls.append((body["source"], "\n".join(block["text"]["text"] for block in body["content"])))
        parsed = self.local.apply(body["source"], body["content"])
        validate_parameters(parsed, model.output_shape)
        metadata = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RequestId": "local", "RetryAttempts": 0}
        return AWSResponse(params["url"], 200, {}, None), {**parsed, "ResponseMetadata": metadata}


def _guardrail_usage() -> dict[str, int]:
    return {
        "topicPolicyUnits": 1,
        "contentPolicyUnits": 1,
        "wordPolicyUnits": 1,
        "sensitiveInformationPolicyUnits": 1,
        "sensitiveInformationPolicyFreeUnits": 0,
        "contextualGroundingPolicyUnits": 0,
    }


# A real action module for every preset action: resources are "<tenant>-<anything>"; a resource
# whose id ends in "-broken" fails (status failed), "-raise" raises. Every call is a ledger line.
ACTION_MODULE = """
from __future__ import annotations

import json
import os

from governed_assistant.contracts import ActionRequest, ActionResult

NAME = "{name}"
STEPS = {steps!r}


def _log(request, function, **extra):
    with open(os.environ["HANDLER_TEST_LEDGER"], "a", encoding="utf-8") as ledger:
        line = {{"jobId": request.job_id, "tenantId": request.context.tenant_id, "action": NAME,
                 "function": function, "step": request.step, "completed": sorted(request.results), **extra}}
        ledger.write(json.dumps(line) + "\\n")


def owner_of(resource_id):
    tenant, _, rest = resource_id.partition("-")
    return tenant if rest else None


def _run(request, function):
    _log(request, function)
    if request.resource_id.endswith("-raise"):
        raise ConnectionError("downstream refused")
    if request.resource_id.endswith("-broken") and function != "collect_evidence":
        return ActionResult(status="failed", summary=f"{{NAME}} {{function}} broke")
    return ActionResult.ok(f"{{NAME}} {{function}} done on {{request.resource_id}}", function=function)


def execute(request):
    return _run(request, "execute")


def compensate(request, result):
    _log(request, "compensate", cause=result.summary)
    return ActionResult.ok(f"{{NAME}} undone")
"""

STEP_FUNCTION = """

def {step}(request):
    return _run(request, "{step}")
"""


def write_actions(directory: Path, package: str, spec: Any) -> None:
    """``<directory>/<package>/<action>.py`` for every action of ``spec``."""
    root = directory / package
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    for action in spec.actions:
        source = textwrap.dedent(ACTION_MODULE.format(name=action.name, steps=list(action.steps)))
        source += "".join(STEP_FUNCTION.format(step=step) for step in action.steps)
        (root / f"{action.name}.py").write_text(source)


def ledger(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@dataclass
class Stack:
    """What one test runs against: the spec, AWS clients (moto), Bedrock's stub, where things land."""

    spec: AssistantSpec
    env: Environment
    bedrock: Bedrock
    dynamodb: Any
    sqs: Any
    queue_url: str
    topic_queue_url: str
    ledger_path: Path
    sink: MemorySink

    def accepted_events(self) -> list[dict[str, Any]]:
        """The "job accepted" events the bus delivered (through a rule to an SQS queue)."""
        return _drain(self.sqs, self.queue_url)

    def approval_notices(self) -> list[dict[str, Any]]:
        """What the approval topic published (through an SQS subscription, raw delivery)."""
        return [json.loads(message["Message"]) if "Message" in message else message
                for message in _drain(self.sqs, self.topic_queue_url)]  # fmt: skip


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return out
        for message in messages:
            out.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
