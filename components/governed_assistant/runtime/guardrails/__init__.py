"""Guardrails: Bedrock's ApplyGuardrail on what the model reads and on what leaves the system.

``Guardrail(boto3.client("bedrock-runtime"), guardrail_id, version).check_input(text)`` returns a
``GuardrailResult``: ``passed``, ``anonymized`` (use ``result.text``, the masked text) or
``blocked`` (show ``result.text``, the guardrail's message, and stop). ``check_input`` screens the
user's message and each retrieved passage (the prompt-attack filter acts on input only);
``check_output`` the answer, and ``screen_values`` every other model-written value that leaves.
"""

from __future__ import annotations

from governed_assistant.runtime.guardrails.base import BedrockApplyGuardrail
from governed_assistant.runtime.guardrails.constants import CONVERSE_INTERVENED, WITHHELD_MARKER
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
    findings_of,
    result_from_response,
)
from governed_assistant.runtime.guardrails.values import (
    ScreenedValues,
    ScreenOutcome,
    replace_text_values,
    screen_values,
    text_values,
)

__all__ = [
    "CONVERSE_INTERVENED",
    "WITHHELD_MARKER",
    "BedrockApplyGuardrail",
    "Guardrail",
    "GuardrailConfigError",
    "GuardrailError",
    "GuardrailFinding",
    "GuardrailOutcome",
    "GuardrailResult",
    "GuardrailSource",
    "GuardrailUnavailableError",
    "ScreenOutcome",
    "ScreenedValues",
    "findings_of",
    "replace_text_values",
    "result_from_response",
    "screen_values",
    "text_values",
]
