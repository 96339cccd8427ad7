"""The guardrails runtime's environment variables and the service model's values, in one place."""

from __future__ import annotations

from typing import Final

# Configuration resolves as: explicit argument, then this environment variable, then the default.
ENV_GUARDRAIL_ID: Final = "GOVERNED_GUARDRAIL_ID"
ENV_GUARDRAIL_VERSION: Final = "GOVERNED_GUARDRAIL_VERSION"
# The working draft exists for every guardrail; the infra layer publishes numbered versions and
# sets GOVERNED_GUARDRAIL_VERSION, so production never follows unreviewed draft edits.
DEFAULT_GUARDRAIL_VERSION: Final = "DRAFT"

# botocore's bedrock-runtime model (2023-09-30): GuardrailAction and the assessment actions.
INTERVENED: Final = "GUARDRAIL_INTERVENED"
BLOCKED: Final = "BLOCKED"
ANONYMIZED: Final = "ANONYMIZED"
# What the user is told when the guardrail blocks and its response carries no message.
FALLBACK_BLOCKED_MESSAGE: Final = "Sorry, I can't help with that request."
