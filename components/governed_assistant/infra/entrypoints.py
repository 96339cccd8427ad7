"""Every Lambda handler the stack deploys, by function: one table, so a test can import them all.

Plain strings (``module.attribute``), no Pulumi and no handler import here: the infra code
names them, ``tests`` checks each resolves to a callable in ``components/handlers/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

HANDLER_PACKAGE: Final = "governed_assistant.handlers"

HANDLERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        function: f"{HANDLER_PACKAGE}.{function}.handler"
        for function in (
            # Conversation: the HTTP API.
            "api",
            # Reasoning: retrieval and Converse; the retrieval store's setup; the strict tools'
            # warm-up on deploy.
            "reason",
            "retrieval_setup",
            "warmup",
            # Execution: one function per state machine step (governed_assistant.infra.steps.STEPS).
            "gate",
            "approval",
            "execute",
            "compensate",
            "guardrail_output",
            "respond",
            # Pattern C's trigger: an insight on the bus becomes a job.
            "insight",
            # Observability: Firehose's transformation, and the OpenSearch index setup.
            "transform",
            "observability_setup",
        )
    }
)
