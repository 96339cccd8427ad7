"""The strict tools' warm-up and smoke test: run on deploy by ``aws.lambda_.Invocation``.

Bedrock compiles each strict tool config into a grammar on its first use ("may take up to a few
minutes") and caches it for 24 hours
(https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html). This function pays
that compile before users do, and is the deploy's smoke test: a tool config Bedrock refuses (a
schema it cannot compile, a model without strict tools) fails the invocation, and with it
``pulumi up``, with Bedrock's own message.

Input, from ``governed_assistant.infra.reasoning``: ``{"modelId", "tenants", "toolConfigSha256"}``.
For each tenant it builds the tool config exactly as the reason step does
(``action_catalog(spec).tool_config(tenant)``, the deployed spec), then calls Converse once per
distinct config: one user turn, ``toolChoice`` ``auto`` (no tool forced) and one output token,
the cheapest valid request that still compiles the grammar. The client is the reason step's
(``Environment.client("bedrock-runtime")``), whose read timeout covers a compile.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from governed_assistant.handlers.environment import Environment, current
from governed_assistant.handlers.exceptions import HandlerError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.wire import ENV_MODEL_ID

WARMUP_PROMPT: Final = "Reply with OK."
WARMUP_MAX_TOKENS: Final = 1


class WarmupError(HandlerError):
    """When the input is unusable, or Bedrock refuses a tool config (the deploy fails with this)."""


def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise WarmupError(f"Warm-up input must be an object, got={type(event).__name__}")
    return warm_up(current(), event)


def tool_config_digest(tool_config: Mapping[str, Any]) -> str:
    """The SHA-256 of a tool config's canonical JSON: equal configs, equal digests."""
    return hashlib.sha256(json.dumps(tool_config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def distinct_tool_configs(spec: Any, tenants: Sequence[str]) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Each distinct tool config the reason step sends these tenants, by digest, with its tenants."""
    # Imported here: the catalog loads the spec package (YAML, pydantic models), which the
    # handler's cold import need not pay.
    from governed_assistant.runtime.actions import action_catalog

    catalog = action_catalog(spec)
    configs: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for tenant in tenants:
        config = catalog.tool_config(tenant)
        digest = tool_config_digest(config)
        configs.setdefault(digest, (config, []))[1].append(tenant)
    return configs


def warm_up(env: Environment, event: Mapping[str, Any]) -> dict[str, Any]:
    """Converse once per distinct tool config; raises WarmupError with Bedrock's message on refusal."""
    model_id = event.get("modelId") or os.environ.get(ENV_MODEL_ID) or env.spec.model_id
    tenants = event.get("tenants")
    if (
        not isinstance(tenants, list)
        or not tenants
        or not all(isinstance(tenant, str) and tenant for tenant in tenants)
    ):
        raise WarmupError(
            f"Warm-up input needs tenants, a non-empty list of tenant ids, got={tenants!r}; "
            'e.g. {"tenants": ["warmup"]}'
        )
    spec = env.spec
    if not spec.actions:
        return {"modelId": model_id, "toolConfigs": 0, "calls": []}
    client = env.client("bedrock-runtime")
    calls = []
    for digest, (config, named) in distinct_tool_configs(spec, tenants).items():
        started = time.monotonic()
        response = _converse(client, model_id, config, digest, named)
        calls.append(
            {
                "toolConfigSha256": digest,
                "tenants": named,
                "tools": len(config["tools"]),
                "stopReason": response.get("stopReason"),
                "latencyMs": round((time.monotonic() - started) * 1000),
            }
        )
        LOGGER.info("Strict tool config compiled", extra=calls[-1])
    return {"modelId": model_id, "toolConfigs": len(calls), "calls": calls}


def _converse(
    client: Any, model_id: str, config: Mapping[str, Any], digest: str, tenants: Sequence[str]
) -> dict[str, Any]:
    try:
        response: dict[str, Any] = client.converse(
            modelId=model_id,
            messages=[{"role": "user", "content": [{"text": WARMUP_PROMPT}]}],
            inferenceConfig={"maxTokens": WARMUP_MAX_TOKENS},
            toolConfig={**config, "toolChoice": {"auto": {}}},
        )
    except Exception as error:
        details = getattr(error, "response", {}).get("Error") if hasattr(error, "response") else None
        if not isinstance(details, Mapping):
            raise
        raise WarmupError(
            f"Bedrock refused the strict tool config, model_id={model_id}, tenants={list(tenants)}, "
            f"toolConfigSha256={digest}, error_code={details.get('Code')}, error={details.get('Message')}; "
            "fix the actions' parameters in assistant.yaml (or model_id) and deploy again"
        ) from error
    return response
