"""A local stand-in for Bedrock Guardrails' ApplyGuardrail, built from the spec's ``guardrails``.

It answers with botocore's ``ApplyGuardrail`` response shape, so ``governed_assistant.runtime.guardrails``
reads it as it reads Bedrock's. It approximates the real guardrail; it is not one:

- Denied topics match by keywords: the topic's name as a phrase, or at least two distinct
  keywords (crudely stemmed) from its name and definition. Bedrock classifies meaning with a
  model; paraphrases it would catch can pass here, and an unlucky pair of words can block.
- PII is found by regular expressions for ``SUPPORTED_PII`` only (card numbers are Luhn-checked).
  Entities that need a model (NAME, ADDRESS, AGE, USERNAME, ...) are not detected locally; the
  stack says which at start-up. ``pii_action`` decides BLOCKED or ANONYMIZED, as in the spec, and
  anonymized text reads ``{EMAIL}``, as Bedrock masks it.
- Prompt attacks (on ``INPUT`` only: Bedrock's filter never acts on output) are found by phrases
  (``PROMPT_ATTACK_PHRASES``: "ignore previous instructions", "you are now", "system prompt"...).
  Bedrock's filter is a classifier; a reworded or encoded attack it would catch passes here, and
  a harmless question that quotes a phrase ("where is the system prompt file?") is blocked.
- The other content filters (hate, insults, sexual, violence, misconduct) are not applied locally.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# The guardrail's own messages, exactly as the infra layer configures the deployed one.
from governed_assistant.infra.guardrail import BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE, CONTENT_FILTERS
from governed_assistant.spec.model import AssistantSpec, DeniedTopic

_STOPWORDS: Final = frozenset(
    re.findall(
        r"[a-z]+",
        "about above after again against also any are because been before being below between both but "
        "can could did does doing down during each few for from further give given giving had has have "
        "having her here hers him his how into its itself just more most not now off once only other "
        "our out over own request requests same she should some such than that the their them then "
        "there these they this those through too under until very was were what when where which while "
        "who whom why will with would you your",
    )
)
_WORD = re.compile(r"[a-z]+")
_SUFFIXES: Final = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "es", "ed", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _keywords(text: str) -> set[str]:
    return {_stem(word) for word in _WORD.findall(text.lower()) if len(word) >= 4 and word not in _STOPWORDS}


@dataclass(frozen=True)
class TopicMatcher:
    """One denied topic: matched by its name as a phrase or by two of its keywords."""

    topic: DeniedTopic

    def matches(self, text: str) -> bool:
        lowered = text.lower()
        if self.topic.name.lower() in lowered:
            return True
        wanted = _keywords(f"{self.topic.name} {self.topic.definition}")
        return len(wanted & _keywords(text)) >= 2


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _phone(match: re.Match[str]) -> bool:
    return 10 <= len(re.sub(r"\D", "", match.group(0))) <= 15


def _always(_: re.Match[str]) -> bool:
    return True


# Order matters: specific shapes first, so a card or SSN is not also reported as a phone number.
_PII_PATTERNS: Final[dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], bool]]]] = {
    "EMAIL": (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), _always),
    "US_SOCIAL_SECURITY_NUMBER": (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), _always),
    "CREDIT_DEBIT_CARD_NUMBER": (re.compile(r"\b\d(?:[ -]?\d){12,18}\b"), _card),
    "AWS_ACCESS_KEY": (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), _always),
    # Forty base64 characters with a digit, an upper- and a lower-case letter: an AWS secret's shape.
    "AWS_SECRET_KEY": (
        re.compile(
            r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*\d)(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
            r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"
        ),
        _always,
    ),
    "IP_ADDRESS": (
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
        _always,
    ),
    "MAC_ADDRESS": (re.compile(r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b"), _always),
    "URL": (re.compile(r"\bhttps?://[^\s<>\"']+"), _always),
    "US_PASSPORT_NUMBER": (re.compile(r"(?i)\bpassport\W+(?:no\.?|number)?\W*([A-Z0-9]{9})\b"), _always),
    "PHONE": (re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{8,}\d\b"), _phone),
}
SUPPORTED_PII: Final = tuple(_PII_PATTERNS)

# The prompt-attack approximation: what an injected instruction or a jailbreak typically says.
_GAP = r"(?:\s+(?:all|any|the|your|my|of|these|those|every|everything))*\s+"
PROMPT_ATTACK_PHRASES: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"\b(?:ignore|disregard|forget|override|bypass){_GAP}(?:previous|prior|above|earlier|preceding|"
        r"former|original|system|developer)\s+(?:instructions?|rules|directions|prompts?|guidelines)\b",
        r"\byou\s+are\s+now\b",
        r"\bsystem\s+prompt\b",
        r"\bnew\s+instructions\s*:",
        r"\bdo\s+anything\s+now\b",
        r"\bdeveloper\s+mode\b",
    )
)
_PROMPT_ATTACK_STRENGTH: Final = CONTENT_FILTERS["PROMPT_ATTACK"][0]


def prompt_attack(text: str) -> bool:
    """Whether ``text`` says one of ``PROMPT_ATTACK_PHRASES`` (the local filter's whole judgement)."""
    return any(pattern.search(text) for pattern in PROMPT_ATTACK_PHRASES)


def unsupported_pii(spec: AssistantSpec) -> list[str]:
    """The spec's PII entities the local guardrail cannot detect (they pass unseen locally)."""
    return [entity for entity in spec.guardrails.pii_entities if entity not in _PII_PATTERNS]


@dataclass(frozen=True)
class PiiHit:
    entity: str
    start: int
    end: int
    match: str


class LocalGuardrail:
    """The spec's denied topics and PII entities, and the prompt-attack filter on input, applied to
    text as ApplyGuardrail would (approximately: see the module docstring)."""

    def __init__(self, spec: AssistantSpec) -> None:
        guardrails = spec.guardrails
        self.topics = [TopicMatcher(topic) for topic in guardrails.denied_topics]
        self.pii_entities = [entity for entity in guardrails.pii_entities if entity in _PII_PATTERNS]
        self.pii_action = "BLOCKED" if guardrails.pii_action == "block" else "ANONYMIZED"

    def apply(self, source: str, content: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """The ``ApplyGuardrail`` response for ``content`` (its text blocks) from ``source``."""
        texts = [str(block.get("text", {}).get("text", "")) for block in content if "text" in block]
        text = "\n".join(texts)
        topics = [matcher.topic for matcher in self.topics if matcher.matches(text)]
        hits = self._pii(text)
        attack = source == "INPUT" and prompt_attack(text)
        assessment: dict[str, Any] = {}
        if attack:
            assessment["contentPolicy"] = {
                "filters": [
                    {
                        "type": "PROMPT_ATTACK",
                        "confidence": "HIGH",
                        "filterStrength": _PROMPT_ATTACK_STRENGTH,
                        "action": "BLOCKED",
                        "detected": True,
                    }
                ]
            }
        if topics:
            assessment["topicPolicy"] = {
                "topics": [
                    {"name": topic.name, "type": "DENY", "action": "BLOCKED", "detected": True}
                    for topic in topics
                ]
            }
        if hits:
            assessment["sensitiveInformationPolicy"] = {
                "piiEntities": [
                    {"match": hit.match, "type": hit.entity, "action": self.pii_action, "detected": True}
                    for hit in hits
                ],
                "regexes": [],  # required by botocore's shape, though the spec defines none
            }
        usage = _usage(text, bool(self.topics), bool(self.pii_entities), content=source == "INPUT")
        if not assessment:
            return {"usage": usage, "action": "NONE", "outputs": [], "assessments": [{}]}
        if topics or attack or self.pii_action == "BLOCKED":
            message = BLOCKED_INPUT_MESSAGE if source == "INPUT" else BLOCKED_OUTPUT_MESSAGE
            outputs = [{"text": message}]
            reason = "Guardrail blocked."
        else:
            outputs = [{"text": _mask(text, hits)}]
            reason = "Guardrail masked."
        return {
            "usage": usage,
            "action": "GUARDRAIL_INTERVENED",
            "actionReason": reason,
            "outputs": outputs,
            "assessments": [assessment],
        }

    def _pii(self, text: str) -> list[PiiHit]:
        hits: list[PiiHit] = []
        taken: list[tuple[int, int]] = []
        for entity in SUPPORTED_PII:
            if entity not in self.pii_entities:
                continue
            pattern, accept = _PII_PATTERNS[entity]
            for match in pattern.finditer(text):
                span = match.span()
                if not accept(match) or any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                taken.append(span)
                hits.append(PiiHit(entity, span[0], span[1], match.group(0)))
        return sorted(hits, key=lambda hit: hit.start)


def _mask(text: str, hits: list[PiiHit]) -> str:
    masked = text
    for hit in sorted(hits, key=lambda hit: hit.start, reverse=True):
        masked = masked[: hit.start] + "{" + hit.entity + "}" + masked[hit.end :]
    return masked


def _usage(text: str, topics: bool, pii: bool, *, content: bool) -> dict[str, int]:
    # Bedrock bills a text unit per 1,000 characters for each policy it ran.
    units = max(1, -(-len(text) // 1000))
    return {
        "topicPolicyUnits": units if topics else 0,
        "contentPolicyUnits": units if content else 0,
        "wordPolicyUnits": 0,
        "sensitiveInformationPolicyUnits": units if pii else 0,
        "sensitiveInformationPolicyFreeUnits": 0,
        "contextualGroundingPolicyUnits": 0,
    }


class LocalApplyGuardrail:
    """The local guardrail in process, behind the one method ``runtime.guardrails.Guardrail`` calls
    (``apply_guardrail``): for tests that screen without a server (``testing.StepHarness``)."""

    def __init__(self, spec: AssistantSpec) -> None:
        self.guardrail = LocalGuardrail(spec)
        self.requests: list[dict[str, Any]] = []

    def apply_guardrail(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return self.guardrail.apply(str(request["source"]), request["content"])
