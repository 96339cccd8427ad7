"""Bedrock Converse behind a budget, retries and a circuit breaker.

One call: check the tenant's budget (before anything is spent), ask the breaker, call Converse;
on a transient error record it with the breaker, back off with full jitter and try again; on
success close the breaker, charge the tenant's usage and return a ``ModelResult``.

Give the boto3 client botocore retries off (``Config(retries={"total_max_attempts": 1})``):
this loop retries, and the breaker must see every failure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from governed_assistant.runtime.model.base import (
    BedrockConverse,
    Clock,
    Jitter,
    Sleep,
    TokenUsage,
    TokenUsageStore,
)
from governed_assistant.runtime.model.breaker import CircuitBreaker
from governed_assistant.runtime.model.budget import TokenBudget, utc_day
from governed_assistant.runtime.model.constants import (
    BREAKER_ERROR_CODES,
    CONNECTION_ERROR_CODE,
    RETRYABLE_ERROR_CODES,
)
from governed_assistant.runtime.model.exceptions import (
    ModelConfigError,
    ModelRequestError,
    ModelUnavailableError,
)
from governed_assistant.runtime.model.results import ModelResult, guardrail_trace_findings, parse_output
from governed_assistant.runtime.model.retry import RetryPolicy, full_jitter


class ModelClient:
    """Asks one Bedrock model through Converse, for one tenant at a time."""

    def __init__(
        self,
        client: BedrockConverse,
        *,
        model_id: str,
        system_prompt: str,
        usage_store: TokenUsageStore,
        budget: TokenBudget | None = None,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        inference_config: Mapping[str, Any] | None = None,
        guardrail_config: Mapping[str, Any] | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        jitter: Jitter = full_jitter,
    ) -> None:
        if not model_id or not system_prompt.strip():
            raise ModelConfigError(
                f"A model client needs a model id and a system prompt, model_id={model_id!r}, "
                f"system_prompt_chars={len(system_prompt.strip())}"
            )
        self.model_id = model_id
        self.system_prompt = system_prompt
        self.usage_store = usage_store
        self.budget = budget or TokenBudget.resolve()
        self.breaker = breaker or CircuitBreaker(model_id, clock=clock)
        self.retry = retry or RetryPolicy()
        self.inference_config = dict(inference_config or {})
        # Converse's guardrailConfig: the guardrail assesses the messages' guardContent blocks and
        # the model's text; it does not read tool use input (the handlers screen that themselves).
        self.guardrail_config = dict(guardrail_config or {})
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter

    def converse(
        self,
        tenant_id: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        tool_config: Mapping[str, Any] | None = None,
    ) -> ModelResult:
        """The model's tool use or answer to ``messages`` (Converse message dicts) for ``tenant_id``.

        Raises ``BudgetExceededError`` before any call, ``CircuitOpenError`` when the breaker is
        open, ``ModelUnavailableError`` when retries run out, ``ModelRequestError`` when Bedrock
        refuses the request itself, ``ModelResponseError`` when the reply holds nothing usable.
        """
        started = self._clock()
        day = utc_day(started)
        self.budget.check(self.usage_store, tenant_id, day)
        request = self._request(messages, tool_config)
        attempt = 0
        while True:
            attempt += 1
            self.breaker.before_call()
            try:
                response = self._client.converse(**request)
            except Exception as error:
                code, message = aws_error(error)
                if code is None:
                    self.breaker.release()  # e.g. botocore's ParamValidationError: says nothing about Bedrock
                    raise
                self._after_failure(attempt, code, message)
                continue
            self.breaker.record_success()
            return self._result(response, tenant_id, started, attempt)

    def _request(
        self, messages: Sequence[Mapping[str, Any]], tool_config: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "modelId": self.model_id,
            "messages": [dict(message) for message in messages],
            "system": [{"text": self.system_prompt}],
        }
        if self.inference_config:
            request["inferenceConfig"] = dict(self.inference_config)
        if tool_config:
            request["toolConfig"] = dict(tool_config)
        if self.guardrail_config:
            request["guardrailConfig"] = dict(self.guardrail_config)
        return request

    def _after_failure(self, attempt: int, code: str, message: str) -> None:
        """Record a failed attempt with the breaker, then raise, or sleep before the next attempt."""
        transient = code in RETRYABLE_ERROR_CODES or code == CONNECTION_ERROR_CODE
        if not transient and code not in BREAKER_ERROR_CODES:
            self.breaker.release()
            raise ModelRequestError(model_id=self.model_id, error_code=code, message=message)
        self.breaker.record_failure()
        if self.breaker.state == "open":
            self.breaker.before_call()  # raises CircuitOpenError now, rather than after a pointless sleep
        if not transient or attempt >= self.retry.max_attempts:
            raise ModelUnavailableError(
                model_id=self.model_id, attempts=attempt, error_code=code, message=message
            )
        self._sleep(self.retry.delay(attempt, self._jitter))

    def _result(self, response: dict[str, Any], tenant_id: str, started: float, attempts: int) -> ModelResult:
        output = parse_output(response, self.model_id)
        usage = TokenUsage(
            input_tokens=int(response["usage"]["inputTokens"]),
            output_tokens=int(response["usage"]["outputTokens"]),
        )
        self.usage_store.record(tenant_id, utc_day(started), usage)
        return ModelResult(
            output=output,
            model_id=self.model_id,
            stop_reason=str(response["stopReason"]),
            usage=usage,
            latency_ms=max(0.0, (self._clock() - started) * 1000.0),
            model_latency_ms=int(response.get("metrics", {}).get("latencyMs", 0)),
            attempts=attempts,
            guardrail_findings=guardrail_trace_findings(response),
        )


def aws_error(error: Exception) -> tuple[str | None, str]:
    """The AWS error code and message of a botocore exception; ``(None, ...)`` for anything else.

    Duck-typed, so the local stack's fakes work and botocore (which ships no type hints) need not
    be imported: a ``ClientError`` carries ``response["Error"]``; a connection or timeout error
    derives from botocore's ``ConnectionError`` or ``HTTPClientError``, and counts as transient.
    """
    response = getattr(error, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        details = response["Error"]
        return str(details.get("Code") or "Unknown"), str(details.get("Message") or error)
    if any(
        cls.__module__ == "botocore.exceptions" and cls.__name__ in ("ConnectionError", "HTTPClientError")
        for cls in type(error).__mro__
    ):
        return CONNECTION_ERROR_CODE, str(error)
    return None, str(error)
