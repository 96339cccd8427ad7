"""The strict tools' warm-up and smoke test: run on deploy by ``aws.lambda_.Invocation``.

Bedrock compiles each strict tool config into a grammar on its first use ("may take up to a few
minutes") and caches it for 24 hours
(https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html). This function pays
that compile before users do, and is the deploy's smoke test: a tool config Bedrock refuses (a
schema it cannot compile, a model without strict tools) fails the invocation, and with it
``pulumi up``, with Bedrock's own message.

Input, from ``governed_assistant.infra.reasoning``: ``{"modelId", "toolConfigSha256"}``. The tool
config is the reason step's own (``action_catalog(spec).tool_config()``, the deployed spec), the
same for every tenant, so one Converse call compiles the deployment's one grammar: one user turn,
``toolChoice`` ``auto`` (no tool forced) and one output token, the cheapest valid request that
still compiles it. The client is the reason step's (``Environment.client("bedrock-runtime")``),
whose read timeout covers a compile. The call carries the spec's guardrail (``guardrailConfig``), as
every model call must: the role's grant on the model names the guardrail (``bedrock:GuardrailIdentifier``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from typing import Any, Final

from governed_assistant.handlers.environment import Environment, current
from governed_assistant.handlers.exceptions import HandlerError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.wire import ENV_MODEL_ID

WARMUP_PROMPT: Final = "Reply with OK."
WARMUP_MAX_TOKENS: Final = 1


class WarmupError(HandlerError):
    """When the input is unusable, or Bedrock refuses a tool config (the deploy fails with this)."""


@LOGGER.inject_lambda_context
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise WarmupError(f"Warm-up input must be an object, got={type(event).__name__}")
    return warm_up(current(), event)


def tool_config_digest(tool_config: Mapping[str, Any]) -> str:
    """The SHA-256 of a tool config's canonical JSON: equal configs, equal digests."""
    return hashlib.sha256(json.dumps(tool_config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def deployed_tool_config(spec: Any) -> dict[str, Any]:
    """The tool config the reason step sends for ``spec`` (the same for every tenant)."""
    # Imported here: the catalog loads the spec package (YAML, pydantic models), which the
    # handler's cold import need not pay.
    from governed_assistant.runtime.actions import action_catalog

    return action_catalog(spec).tool_config()


def warm_up(env: Environment, event: Mapping[str, Any]) -> dict[str, Any]:
    """Converse once with the deployed tool config; raises WarmupError with Bedrock's message on refusal."""
    model_id = event.get("modelId") or os.environ.get(ENV_MODEL_ID) or env.spec.model_id
    if not isinstance(model_id, str) or not model_id:
        raise WarmupError(f"Warm-up input needs modelId, a model id string, got={model_id!r}")
    spec = env.spec
    if not spec.actions:
        return {"modelId": model_id, "toolConfigs": 0, "calls": []}
    config = deployed_tool_config(spec)
    digest = tool_config_digest(config)
    started = time.monotonic()
    guardrail = env.guardrail.converse_config()
    response = _converse(env.client("bedrock-runtime"), model_id, config, digest, guardrail)
    call = {
        "toolConfigSha256": digest,
        "tools": len(config["tools"]),
        "stopReason": response.get("stopReason"),
        "latencyMs": round((time.monotonic() - started) * 1000),
    }
    LOGGER.info("Strict tool config compiled", extra=call)
    return {"modelId": model_id, "toolConfigs": 1, "calls": [call]}


def _converse(
    client: Any, model_id: str, config: Mapping[str, Any], digest: str, guardrail: Mapping[str, Any]
) -> dict[str, Any]:
    try:
        response: dict[str, Any] = client.converse(
            modelId=model_id,
            messages=[{"role": "user", "content": [{"text": WARMUP_PROMPT}]}],
            inferenceConfig={"maxTokens": WARMUP_MAX_TOKENS},
            toolConfig={**config, "toolChoice": {"auto": {}}},
            guardrailConfig=dict(guardrail),
        )
    except Exception as error:
        details = getattr(error, "response", {}).get("Error") if hasattr(error, "response") else None
        if not isinstance(details, Mapping):
            raise
        raise WarmupError(
            f"Bedrock refused the strict tool config, model_id={model_id}, "
            f"toolConfigSha256={digest}, error_code={details.get('Code')}, error={details.get('Message')}; "
            "fix the actions' parameters in assistant.yaml (or model_id) and deploy again"
        ) from error
    return response
