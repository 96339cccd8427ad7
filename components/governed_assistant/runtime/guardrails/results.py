"""What screening found: passed, blocked (with the guardrail's message) or anonymized (masked text).

Reads botocore's ``ApplyGuardrail`` response: ``action`` says whether the guardrail intervened;
the ``assessments`` say why, policy by policy, each finding with an action of its own. Any
BLOCKED finding blocks; otherwise ANONYMIZED findings mean the text was masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from governed_assistant.runtime.guardrails.constants import (
    ANONYMIZED,
    BLOCKED,
    FALLBACK_BLOCKED_MESSAGE,
    INTERVENED,
)

GuardrailOutcome = Literal["passed", "blocked", "anonymized"]
GuardrailSource = Literal["INPUT", "OUTPUT"]


@dataclass(frozen=True)
class GuardrailFinding:
    """One policy hit: ``policy`` is topic, content, word, managed_word, pii, regex or grounding."""

    policy: str
    name: str
    action: str


@dataclass(frozen=True)
class GuardrailResult:
    """The verdict on one text. ``text`` is what may travel on: the original text when it passed,
    the masked text when anonymized, the guardrail's message (for the user) when blocked."""

    outcome: GuardrailOutcome
    source: GuardrailSource
    text: str
    findings: tuple[GuardrailFinding, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.outcome == "blocked"

    @property
    def reasons(self) -> tuple[str, ...]:
        """``policy:name:action`` per finding that acted: for a DecisionEvent's details or a denial."""
        return tuple(
            f"{f.policy}:{f.name}:{f.action}" for f in self.findings if f.action in (BLOCKED, ANONYMIZED)
        )


def result_from_response(response: Mapping[str, Any], source: GuardrailSource, text: str) -> GuardrailResult:
    """The verdict an ApplyGuardrail response gives on ``text``."""
    if response.get("action") != INTERVENED:
        return GuardrailResult("passed", source, text)
    findings = findings_of(response.get("assessments", []))
    outputs = [output.get("text", "") for output in response.get("outputs", [])]
    actions = {finding.action for finding in findings}
    if ANONYMIZED in actions and BLOCKED not in actions and outputs and outputs[0]:
        return GuardrailResult("anonymized", source, outputs[0], findings)
    # BLOCKED, or an intervention we cannot explain (a policy this code does not know yet):
    # fail closed, and show the guardrail's own message.
    message = outputs[0] if outputs and outputs[0] else FALLBACK_BLOCKED_MESSAGE
    return GuardrailResult("blocked", source, message, findings)


def findings_of(assessments: Iterable[Mapping[str, Any]]) -> tuple[GuardrailFinding, ...]:
    """Every finding of botocore ``GuardrailAssessment``s: ApplyGuardrail's ``assessments``, or the
    ``inputAssessment`` / ``outputAssessments`` of a Converse response's ``trace.guardrail``."""
    return tuple(_findings(assessments))


def _findings(assessments: Iterable[Mapping[str, Any]]) -> Iterator[GuardrailFinding]:
    for assessment in assessments:
        for topic in assessment.get("topicPolicy", {}).get("topics", []):
            yield GuardrailFinding("topic", topic["name"], topic["action"])
        for content in assessment.get("contentPolicy", {}).get("filters", []):
            yield GuardrailFinding("content", content["type"], content["action"])
        words = assessment.get("wordPolicy", {})
        for word in words.get("customWords", []):
            yield GuardrailFinding("word", word["match"], word["action"])
        for word in words.get("managedWordLists", []):
            yield GuardrailFinding("managed_word", word["type"], word["action"])
        sensitive = assessment.get("sensitiveInformationPolicy", {})
        for entity in sensitive.get("piiEntities", []):
            yield GuardrailFinding("pii", entity["type"], entity["action"])
        for regex in sensitive.get("regexes", []):
            yield GuardrailFinding(
                "regex", regex.get("name") or regex.get("regex") or "regex", regex["action"]
            )
        for grounding in assessment.get("contextualGroundingPolicy", {}).get("filters", []):
            yield GuardrailFinding("grounding", grounding["type"], grounding["action"])
