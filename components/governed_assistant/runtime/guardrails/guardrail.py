"""Bedrock Guardrails' ApplyGuardrail on what the model reads and what the assistant says; the same
guardrail as Converse's ``guardrailConfig``."""

from __future__ import annotations

import os
from typing import Any

from governed_assistant.runtime.guardrails.base import BedrockApplyGuardrail
from governed_assistant.runtime.guardrails.constants import DEFAULT_GUARDRAIL_VERSION
from governed_assistant.runtime.guardrails.exceptions import GuardrailConfigError, GuardrailUnavailableError
from governed_assistant.runtime.guardrails.results import (
    GuardrailResult,
    GuardrailSource,
    result_from_response,
)
from governed_assistant.wire import ENV_GUARDRAIL_ID, ENV_GUARDRAIL_VERSION


class Guardrail:
    """Screens text with one guardrail version; ``guardrail_id`` defaults to $GOVERNED_GUARDRAIL_ID."""

    def __init__(
        self,
        client: BedrockApplyGuardrail,
        guardrail_id: str | None = None,
        version: str | None = None,
    ) -> None:
        resolved = guardrail_id or os.environ.get(ENV_GUARDRAIL_ID)
        if not resolved:
            raise GuardrailConfigError(
                f"No guardrail configured, guardrail_id=None, env={ENV_GUARDRAIL_ID}; pass guardrail_id or "
                f"set {ENV_GUARDRAIL_ID} to the id (or ARN) of the guardrail the stack creates"
            )
        self.guardrail_id = resolved
        self.version = version or os.environ.get(ENV_GUARDRAIL_VERSION) or DEFAULT_GUARDRAIL_VERSION
        self._client = client

    def converse_config(self) -> dict[str, Any]:
        """Converse's ``guardrailConfig`` for this guardrail, with its trace (what it found) enabled."""
        return {
            "guardrailIdentifier": self.guardrail_id,
            "guardrailVersion": self.version,
            "trace": "enabled",
        }

    def check_input(self, text: str) -> GuardrailResult:
        """Screen what the model is about to read (the user's message, a retrieved passage).

        Bedrock applies the prompt-attack filter to input only: text checked here is what it sees.
        """
        return self.check(text, "INPUT")

    def check_output(self, text: str) -> GuardrailResult:
        """Screen what the assistant is about to say, before the user sees it."""
        return self.check(text, "OUTPUT")

    def check(self, text: str, source: GuardrailSource) -> GuardrailResult:
        try:
            response = self._client.apply_guardrail(
                guardrailIdentifier=self.guardrail_id,
                guardrailVersion=self.version,
                source=source,
                content=[{"text": {"text": text}}],
            )
        except Exception as error:
            # botocore's ClientError carries response["Error"]; duck-typed so fakes work too.
            reply = getattr(error, "response", None)
            details = reply.get("Error", {}) if isinstance(reply, dict) else {}
            raise GuardrailUnavailableError(
                guardrail_id=self.guardrail_id,
                source=source,
                error_code=str(details.get("Code") or type(error).__name__),
                message=str(details.get("Message") or error),
            ) from error
        return result_from_response(response, source, text)
