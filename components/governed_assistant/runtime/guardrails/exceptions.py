"""Errors raised while screening text with a Bedrock guardrail."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class GuardrailError(GovernanceError):
    """When text cannot be screened; callers fail closed and treat the text as blocked."""


class GuardrailConfigError(GuardrailError):
    """When no guardrail id or version is configured."""


class GuardrailUnavailableError(GuardrailError):
    """When ApplyGuardrail fails (throttled, denied, unknown guardrail); the text was not screened."""

    def __init__(self, *, guardrail_id: str, source: str, error_code: str, message: str) -> None:
        self.guardrail_id = guardrail_id
        self.source = source
        self.error_code = error_code
        super().__init__(
            f"ApplyGuardrail failed, guardrail_id={guardrail_id}, source={source}, error_code={error_code}, "
            f"error={message}; the text was not screened, so it must not be used"
        )
