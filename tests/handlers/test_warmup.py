"""The deploy-time warm-up: one Converse call with the deployment's strict tool config; a refusal fails it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber
from governed_assistant.handlers import environment, warmup
from governed_assistant.handlers.constants import GRAMMAR_COMPILE_SECONDS
from governed_assistant.handlers.environment import MODEL_CLIENT_CONFIG, Environment
from governed_assistant.handlers.warmup import WARMUP_MAX_TOKENS, WARMUP_PROMPT, WarmupError
from governed_assistant.runtime.actions import tool_config
from governed_assistant.spec import AssistantSpec
from governed_assistant.testing import lambda_context
from governed_assistant.wire import ENV_BY_RESOURCE, ENV_GUARDRAIL_VERSION

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
GUARDRAIL_ARN = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def456"
REFUSAL = "tools.0.custom: For 'array' type, property 'maxItems' is not supported"


def _client() -> Any:
    return botocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - a dummy credential; nothing leaves the process
    )


def _request(spec: AssistantSpec) -> dict[str, Any]:
    return {
        "modelId": MODEL_ID,
        "messages": [{"role": "user", "content": [{"text": WARMUP_PROMPT}]}],
        "inferenceConfig": {"maxTokens": WARMUP_MAX_TOKENS},
        "toolConfig": {**tool_config(spec), "toolChoice": {"auto": {}}},
        # The spec's guardrail, as the stack names it to the function: the role allows no model
        # call without it.
        "guardrailConfig": {
            "guardrailIdentifier": GUARDRAIL_ARN,
            "guardrailVersion": "3",
            "trace": "enabled",
        },
    }


def _response() -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": "OK"}]}},
        "stopReason": "max_tokens",
        "usage": {"inputTokens": 412, "outputTokens": 1, "totalTokens": 413},
        "metrics": {"latencyMs": 95_000},
    }


@pytest.fixture
def bedrock(spec: AssistantSpec, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Stubber]]:
    monkeypatch.setenv(ENV_BY_RESOURCE["guardrail"], GUARDRAIL_ARN)
    monkeypatch.setenv(ENV_GUARDRAIL_VERSION, "3")
    client = _client()
    with Stubber(client) as stubber:
        environment.configure(Environment(spec=spec, clients={"bedrock-runtime": client}))
        yield client, stubber
        environment.reset()
        stubber.assert_no_pending_responses()


def test_warmup_compiles_the_reason_steps_tool_config(
    spec: AssistantSpec, bedrock: tuple[Any, Stubber]
) -> None:
    """One Converse call with the reason step's tool config, no tool forced, one token; a summary back."""
    _, stubber = bedrock
    stubber.add_response("converse", _response(), _request(spec))
    summary = warmup.handler({"modelId": MODEL_ID}, lambda_context())
    assert summary["modelId"] == MODEL_ID
    assert summary["toolConfigs"] == 1
    (call,) = summary["calls"]
    assert call["tools"] == len(spec.actions)
    assert call["stopReason"] == "max_tokens"
    assert call["toolConfigSha256"] == warmup.tool_config_digest(tool_config(spec))


def test_warmup_unsupported_schema_fails_with_bedrocks_message(
    spec: AssistantSpec, bedrock: tuple[Any, Stubber]
) -> None:
    """A 400 ValidationException fails the invocation (so the deploy) with Bedrock's own message."""
    _, stubber = bedrock
    stubber.add_client_error(
        "converse",
        service_error_code="ValidationException",
        service_message=REFUSAL,
        http_status_code=400,
        expected_params=_request(spec),
    )
    with pytest.raises(WarmupError) as raised:
        warmup.handler({"modelId": MODEL_ID}, lambda_context())
    assert REFUSAL in str(raised.value)
    assert "error_code=ValidationException" in str(raised.value)
    assert "assistant.yaml" in str(raised.value)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"modelId": 7}, id="model-not-a-string"),
        pytest.param(["warmup"], id="not-an-object"),
    ],
)
def test_warmup_unusable_input_is_refused(bedrock: tuple[Any, Stubber], event: Any) -> None:
    """An input that is not an object, or names no usable model, fails before any call."""
    with pytest.raises(WarmupError, match=r"modelId|object"):
        warmup.handler(event, lambda_context())


def test_model_client_read_timeout_covers_a_grammar_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bedrock-runtime client waits longer than a compile; botocore's default (60 s) does not."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert MODEL_CLIENT_CONFIG["read_timeout"] > GRAMMAR_COMPILE_SECONDS
    client = Environment(clients={}).client("bedrock-runtime")
    assert client.meta.config.read_timeout == MODEL_CLIENT_CONFIG["read_timeout"]
    assert client.meta.config.retries["total_max_attempts"] == 1
