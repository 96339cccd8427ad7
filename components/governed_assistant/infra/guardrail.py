"""``SpecGuardrail``: the Bedrock guardrail built from ``assistant.yaml`` (and its published version).

The conversation layer screens every input with it; the reasoning layer screens each retrieved
passage with it and passes it to Converse; the execution layer's approval, output and respond
steps screen every model-written value that leaves. Those three layers need it, and the
conversation layer needs the execution layer's tables, so the guardrail is a component of its
own: ``GovernedAssistant`` builds it first and hands it to all three.
``ConversationLayer`` builds one itself when none is given (a conversation layer on its own).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import physical_name
from governed_assistant.spec.model import AssistantSpec

# Content filter strengths: (input, output). Hate, insults, sexual content and violence are
# blocked hard both ways; misconduct a notch lower, so a support assistant can still discuss
# fraud reports. Prompt attacks exist only in inputs: Bedrock requires NONE on the output side.
CONTENT_FILTERS: Final[dict[str, tuple[str, str]]] = {
    "HATE": ("HIGH", "HIGH"),
    "INSULTS": ("HIGH", "HIGH"),
    "SEXUAL": ("HIGH", "HIGH"),
    "VIOLENCE": ("HIGH", "HIGH"),
    "MISCONDUCT": ("MEDIUM", "MEDIUM"),
    "PROMPT_ATTACK": ("HIGH", "NONE"),
}
BLOCKED_INPUT_MESSAGE: Final = "Sorry, I can't help with that request."
BLOCKED_OUTPUT_MESSAGE: Final = "Sorry, I can't share that answer."


def guardrail_policies(spec: AssistantSpec) -> dict[str, Any]:
    """The guardrail's policy inputs from the spec alone, as ``aws.bedrock.Guardrail`` takes them.

    Plain data, so the version below can hash it and tests can compare it with the spec.
    """
    action = spec.guardrails.pii_action.upper()
    policies: dict[str, Any] = {
        "content_policy_config": {
            "filters_configs": [
                {"type": kind, "input_strength": strengths[0], "output_strength": strengths[1]}
                for kind, strengths in CONTENT_FILTERS.items()
            ]
        },
    }
    # Bedrock refuses an empty topic or PII list: the block is left out when the spec has none.
    if spec.guardrails.denied_topics:
        policies["topic_policy_config"] = {
            "topics_configs": [
                {"name": topic.name, "definition": topic.definition, "type": "DENY"}
                for topic in spec.guardrails.denied_topics
            ]
        }
    if spec.guardrails.pii_entities:
        policies["sensitive_information_policy_config"] = {
            "pii_entities_configs": [
                {"type": entity, "action": action} for entity in spec.guardrails.pii_entities
            ]
        }
    return policies


class SpecGuardrailArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: ``guardrails`` (denied topics, PII entities and action) and the names."""


class SpecGuardrail(pulumi.ComponentResource):
    guardrail_arn: pulumi.Output[str]
    """The guardrail (its working draft; apply ``guardrail_version`` for the published one)."""
    guardrail_id: pulumi.Output[str]
    """The guardrail's id, as ``ApplyGuardrail`` and Converse's ``guardrailConfig`` take it."""
    guardrail_version: pulumi.Output[str]
    """The published version matching the spec (a new one on every change), e.g. ``"3"``."""

    def __init__(
        self, name: str, args: SpecGuardrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:conversation:SpecGuardrail", name, None, opts)
        spec = args["spec"]
        policies = guardrail_policies(spec)
        guardrail = aws.bedrock.Guardrail(
            f"{name}-policy",
            name=physical_name(spec.slug, pulumi.get_stack(), limit=50),
            description=f"{spec.name}: denied topics, PII and content filters from assistant.yaml.",
            blocked_input_messaging=BLOCKED_INPUT_MESSAGE,
            blocked_outputs_messaging=BLOCKED_OUTPUT_MESSAGE,
            **policies,
            tags={"assistant": spec.slug, "layer": "conversation"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # A version is immutable; its description carries the policies' digest, so a change to
        # the spec's guardrails publishes a new version (replacing the old) in the same deploy.
        digest = hashlib.sha256(json.dumps(policies, sort_keys=True).encode()).hexdigest()[:16]
        version = aws.bedrock.GuardrailVersion(
            f"{name}-version",
            guardrail_arn=guardrail.guardrail_arn,
            description=f"assistant.yaml guardrails {digest}",
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["description"]),
        )

        self.guardrail_arn = guardrail.guardrail_arn
        self.guardrail_id = guardrail.guardrail_id
        self.guardrail_version = version.version
        self.register_outputs(
            {
                "guardrail_arn": self.guardrail_arn,
                "guardrail_id": self.guardrail_id,
                "guardrail_version": self.guardrail_version,
            }
        )
