"""The swappable part of screening: the Bedrock client (or the local stack's guardrail)."""

from __future__ import annotations

from typing import Any, Protocol


class BedrockApplyGuardrail(Protocol):
    """The one method of a ``boto3.client("bedrock-runtime")`` the guardrail uses."""

    def apply_guardrail(self, **kwargs: Any) -> dict[str, Any]: ...
