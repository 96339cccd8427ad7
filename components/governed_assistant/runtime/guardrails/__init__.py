"""Guardrails: Bedrock's ApplyGuardrail on the user's input and the assistant's output.

``Guardrail(boto3.client("bedrock-runtime"), guardrail_id, version).check_input(text)`` returns a
``GuardrailResult``: ``passed``, ``anonymized`` (use ``result.text``, the masked text) or
``blocked`` (show ``result.text``, the guardrail's message, and stop).
"""

from __future__ import annotations

from governed_assistant.runtime.guardrails.base import BedrockApplyGuardrail
from governed_assistant.runtime.guardrails.exceptions import (
    GuardrailConfigError,
    GuardrailError,
    GuardrailUnavailableError,
)
from governed_assistant.runtime.guardrails.guardrail import Guardrail
from governed_assistant.runtime.guardrails.results import (
    GuardrailFinding,
    GuardrailOutcome,
    GuardrailResult,
    GuardrailSource,
    result_from_response,
)

__all__ = [
    "BedrockApplyGuardrail",
    "Guardrail",
    "GuardrailConfigError",
    "GuardrailError",
    "GuardrailFinding",
    "GuardrailOutcome",
    "GuardrailResult",
    "GuardrailSource",
    "GuardrailUnavailableError",
    "result_from_response",
]
