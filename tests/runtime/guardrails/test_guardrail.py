"""Guardrail: ApplyGuardrail's verdict read as passed, blocked with the guardrail's message, or anonymized."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from governed_assistant.errors import GovernanceError
from governed_assistant.runtime.guardrails import (
    Guardrail,
    GuardrailConfigError,
    GuardrailFinding,
    GuardrailSource,
    GuardrailUnavailableError,
)

GUARDRAIL_ID = "gr-abc123"
VERSION = "3"
BLOCKED_MESSAGE = "Sorry, the assistant cannot discuss that."
USAGE = {
    "topicPolicyUnits": 1,
    "contentPolicyUnits": 1,
    "wordPolicyUnits": 1,
    "sensitiveInformationPolicyUnits": 1,
    "sensitiveInformationPolicyFreeUnits": 0,
    "contextualGroundingPolicyUnits": 0,
}


def _request(text: str, source: GuardrailSource) -> dict[str, Any]:
    return {
        "guardrailIdentifier": GUARDRAIL_ID,
        "guardrailVersion": VERSION,
        "source": source,
        "content": [{"text": {"text": text}}],
    }


def _response(action: str, outputs: list[str], assessment: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "usage": USAGE,
        "action": action,
        "outputs": [{"text": text} for text in outputs],
        "assessments": [assessment] if assessment else [],
    }


def _pii(action: str) -> dict[str, Any]:
    return {
        "sensitiveInformationPolicy": {
            "piiEntities": [
                {"match": "jane@example.com", "type": "EMAIL", "action": action, "detected": True}
            ],
            "regexes": [],
        }
    }


DENIED_TOPIC = {
    "topicPolicy": {
        "topics": [{"name": "Investment advice", "type": "DENY", "action": "BLOCKED", "detected": True}]
    }
}
PROMPT_ATTACK = {
    "contentPolicy": {
        "filters": [
            {
                "type": "PROMPT_ATTACK",
                "confidence": "HIGH",
                "filterStrength": "HIGH",
                "action": "BLOCKED",
                "detected": True,
            }
        ]
    }
}


@pytest.mark.parametrize("source", [pytest.param("INPUT", id="input"), pytest.param("OUTPUT", id="output")])
def test_check_clean_text_passes_unchanged(bedrock: Any, stubber: Stubber, source: GuardrailSource) -> None:
    """Text the guardrail lets through passes unchanged, with the right source on the request."""
    text = "What is the status of ticket T-1?"
    stubber.add_response("apply_guardrail", _response("NONE", []), _request(text, source))
    guardrail = Guardrail(bedrock, GUARDRAIL_ID, VERSION)

    result = guardrail.check_input(text) if source == "INPUT" else guardrail.check_output(text)

    assert (result.outcome, result.text, result.source, result.findings) == ("passed", text, source, ())


@pytest.mark.parametrize(
    ("assessment", "finding"),
    [
        pytest.param(
            DENIED_TOPIC, GuardrailFinding("topic", "Investment advice", "BLOCKED"), id="denied-topic"
        ),
        pytest.param(
            PROMPT_ATTACK, GuardrailFinding("content", "PROMPT_ATTACK", "BLOCKED"), id="prompt-attack"
        ),
        pytest.param(_pii("BLOCKED"), GuardrailFinding("pii", "EMAIL", "BLOCKED"), id="pii-block"),
    ],
)
def test_check_blocked_policy_returns_blocked_with_guardrail_message(
    bedrock: Any, stubber: Stubber, assessment: dict[str, Any], finding: GuardrailFinding
) -> None:
    """A BLOCKED finding blocks the text, and the result carries the guardrail's own message."""
    text = "Should I buy shares? Mail me at jane@example.com"
    stubber.add_response("apply_guardrail", _response("GUARDRAIL_INTERVENED", [BLOCKED_MESSAGE], assessment))

    result = Guardrail(bedrock, GUARDRAIL_ID, VERSION).check_input(text)

    assert result.blocked
    assert result.text == BLOCKED_MESSAGE
    assert result.findings == (finding,)
    assert result.reasons == (f"{finding.policy}:{finding.name}:BLOCKED",)


def test_check_pii_anonymized_returns_masked_text(bedrock: Any, stubber: Stubber) -> None:
    """An ANONYMIZED PII finding passes the guardrail's masked text on, not the original."""
    masked = "Your ticket was updated; we wrote to {EMAIL}."
    stubber.add_response("apply_guardrail", _response("GUARDRAIL_INTERVENED", [masked], _pii("ANONYMIZED")))

    result = Guardrail(bedrock, GUARDRAIL_ID, VERSION).check_output(
        "Your ticket was updated; we wrote to jane@example.com."
    )

    assert (result.outcome, result.text, result.source) == ("anonymized", masked, "OUTPUT")
    assert result.reasons == ("pii:EMAIL:ANONYMIZED",)


def test_check_anonymized_and_blocked_together_blocks(bedrock: Any, stubber: Stubber) -> None:
    """One BLOCKED finding outweighs any number of ANONYMIZED ones."""
    assessment = {**_pii("ANONYMIZED"), **DENIED_TOPIC}
    stubber.add_response("apply_guardrail", _response("GUARDRAIL_INTERVENED", [BLOCKED_MESSAGE], assessment))

    result = Guardrail(bedrock, GUARDRAIL_ID, VERSION).check_input("Investment tips for jane@example.com")

    assert result.outcome == "blocked"


def test_check_unexplained_intervention_fails_closed(bedrock: Any, stubber: Stubber) -> None:
    """An intervention with no finding this code understands is treated as a block, not a pass."""
    stubber.add_response("apply_guardrail", _response("GUARDRAIL_INTERVENED", [BLOCKED_MESSAGE]))

    result = Guardrail(bedrock, GUARDRAIL_ID, VERSION).check_input("anything")

    assert (result.outcome, result.text) == ("blocked", BLOCKED_MESSAGE)


def test_check_service_error_raises_unavailable(bedrock: Any, stubber: Stubber) -> None:
    """When ApplyGuardrail fails the error names the guardrail, the source and the AWS error code."""
    stubber.add_client_error("apply_guardrail", service_error_code="ThrottlingException",
                             service_message="Rate exceeded", http_status_code=429)  # fmt: skip

    with pytest.raises(GuardrailUnavailableError) as raised:
        Guardrail(bedrock, GUARDRAIL_ID, VERSION).check_input("hello")

    assert f"guardrail_id={GUARDRAIL_ID}, source=INPUT, error_code=ThrottlingException" in str(raised.value)
    assert isinstance(raised.value, GovernanceError)


def test_guardrail_configuration_resolves_from_environment(
    bedrock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Id and version come from GOVERNED_GUARDRAIL_ID and GOVERNED_GUARDRAIL_VERSION when not passed."""
    monkeypatch.setenv("GOVERNED_GUARDRAIL_ID", "gr-env")
    monkeypatch.setenv("GOVERNED_GUARDRAIL_VERSION", "7")

    guardrail = Guardrail(bedrock)

    assert (guardrail.guardrail_id, guardrail.version) == ("gr-env", "7")


def test_guardrail_without_id_raises_config_error(bedrock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an id or GOVERNED_GUARDRAIL_ID the error says which variable to set."""
    monkeypatch.delenv("GOVERNED_GUARDRAIL_ID", raising=False)

    with pytest.raises(GuardrailConfigError, match="GOVERNED_GUARDRAIL_ID"):
        Guardrail(bedrock)
