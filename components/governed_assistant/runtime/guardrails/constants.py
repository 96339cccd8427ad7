"""The guardrails runtime's defaults and the service model's values, in one place."""

from __future__ import annotations

from typing import Final

# The working draft exists for every guardrail; the infra layer publishes numbered versions and
# sets GOVERNED_GUARDRAIL_VERSION, so production never follows unreviewed draft edits.
DEFAULT_GUARDRAIL_VERSION: Final = "DRAFT"

# botocore's bedrock-runtime model (2023-09-30): GuardrailAction and the assessment actions.
INTERVENED: Final = "GUARDRAIL_INTERVENED"
BLOCKED: Final = "BLOCKED"
ANONYMIZED: Final = "ANONYMIZED"
# What the user is told when the guardrail blocks and its response carries no message.
FALLBACK_BLOCKED_MESSAGE: Final = "Sorry, I can't help with that request."
# What stands in for a model-written value the output guardrail blocked (or could not screen),
# wherever that value would have left the system: a job's result, an approval, its summary.
WITHHELD_MARKER: Final = "[withheld by the output guardrail]"
# Converse's stopReason when the guardrail on the call (``guardrailConfig``) intervened.
CONVERSE_INTERVENED: Final = "guardrail_intervened"
