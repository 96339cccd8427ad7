"""Errors raised while asking the model for a proposal."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class ModelError(GovernanceError):
    """When the model cannot be asked, or its answer cannot be used; the job fails with this message."""


class ModelConfigError(ModelError):
    """When the model client is configured with a value it cannot work with."""


class PromptNotFoundError(ModelConfigError):
    """When the system prompt file is missing or empty."""


class BudgetExceededError(ModelError):
    """When a tenant has spent its daily token budget; no model call is made until the next UTC day."""

    def __init__(self, *, tenant_id: str, used_tokens: int, limit_tokens: int, day: str) -> None:
        self.tenant_id = tenant_id
        self.used_tokens = used_tokens
        self.limit_tokens = limit_tokens
        self.day = day
        super().__init__(
            f"Tenant token budget exhausted, tenant={tenant_id}, used_tokens={used_tokens}, "
            f"limit_tokens={limit_tokens}, day={day}; the budget resets at 00:00 UTC, or raise the "
            "tenant's limit"
        )


class CircuitOpenError(ModelError):
    """When the circuit breaker is open after repeated model failures; calls fail fast until it cools down."""

    def __init__(self, *, model_id: str, failures: int, retry_after_seconds: float) -> None:
        self.model_id = model_id
        self.failures = failures
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            f"Model circuit breaker is open, model_id={model_id}, failures={failures}, "
            f"retry_after_seconds={retry_after_seconds:.1f}; Bedrock is failing or throttling, "
            "so calls are refused until a probe succeeds"
        )


class ModelUnavailableError(ModelError):
    """When Bedrock keeps failing with a transient error after every retry."""

    def __init__(self, *, model_id: str, attempts: int, error_code: str, message: str) -> None:
        self.model_id = model_id
        self.attempts = attempts
        self.error_code = error_code
        super().__init__(
            f"Model call failed after retries, model_id={model_id}, attempts={attempts}, "
            f"error_code={error_code}, error={message}"
        )


class ModelRequestError(ModelError):
    """When Bedrock refuses the request itself (validation, access, unknown model); retrying cannot help."""

    def __init__(self, *, model_id: str, error_code: str, message: str) -> None:
        self.model_id = model_id
        self.error_code = error_code
        super().__init__(
            f"Model request refused, model_id={model_id}, error_code={error_code}, error={message}"
        )


class ModelResponseError(ModelError):
    """When the model's answer holds neither a tool use nor any text."""
