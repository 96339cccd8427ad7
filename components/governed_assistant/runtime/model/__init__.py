"""The model: Bedrock Converse behind a tenant budget, retries and a circuit breaker.

``ModelClient(boto3.client("bedrock-runtime"), model_id=..., system_prompt=load_system_prompt(),
usage_store=...).converse(tenant_id, messages, tool_config=...)`` returns a ``ModelResult`` whose
``output`` is a ``ToolUse`` (a proposal the gate still has to check) or a ``TextAnswer``.
"""

from __future__ import annotations

from governed_assistant.runtime.model.base import (
    BedrockConverse,
    Clock,
    Jitter,
    Sleep,
    TokenUsage,
    TokenUsageStore,
)
from governed_assistant.runtime.model.breaker import BreakerState, CircuitBreaker, CircuitBreakerSettings
from governed_assistant.runtime.model.budget import TokenBudget, utc_day
from governed_assistant.runtime.model.client import ModelClient
from governed_assistant.runtime.model.exceptions import (
    BudgetExceededError,
    CircuitOpenError,
    ModelConfigError,
    ModelError,
    ModelRequestError,
    ModelResponseError,
    ModelUnavailableError,
    PromptNotFoundError,
)
from governed_assistant.runtime.model.prompts import load_system_prompt
from governed_assistant.runtime.model.results import ModelResult, TextAnswer, ToolUse, parse_output
from governed_assistant.runtime.model.retry import RetryPolicy, full_jitter
from governed_assistant.runtime.model.stores import DynamoDBTokenUsageStore, InMemoryTokenUsageStore

__all__ = [
    "BedrockConverse",
    "BreakerState",
    "BudgetExceededError",
    "CircuitBreaker",
    "CircuitBreakerSettings",
    "CircuitOpenError",
    "Clock",
    "DynamoDBTokenUsageStore",
    "InMemoryTokenUsageStore",
    "Jitter",
    "ModelClient",
    "ModelConfigError",
    "ModelError",
    "ModelRequestError",
    "ModelResponseError",
    "ModelResult",
    "ModelUnavailableError",
    "PromptNotFoundError",
    "RetryPolicy",
    "Sleep",
    "TextAnswer",
    "TokenBudget",
    "TokenUsage",
    "TokenUsageStore",
    "ToolUse",
    "full_jitter",
    "load_system_prompt",
    "parse_output",
    "utc_day",
]
