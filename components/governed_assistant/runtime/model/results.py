"""What one model call gives back: a tool use (a proposal to check) or a text answer, and its cost."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from governed_assistant.runtime.guardrails.constants import CONVERSE_INTERVENED
from governed_assistant.runtime.guardrails.results import findings_of
from governed_assistant.runtime.model.base import TokenUsage
from governed_assistant.runtime.model.exceptions import ModelResponseError


@dataclass(frozen=True)
class ToolUse:
    """The model asks to run a tool: the raw material of an ``ActionProposal``, not yet trusted."""

    tool_use_id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class TextAnswer:
    """The model answers in words; no action is proposed."""

    text: str


@dataclass(frozen=True)
class ModelResult:
    """One successful Converse call: its output, the tokens it cost and how long it took."""

    output: ToolUse | TextAnswer
    model_id: str
    stop_reason: str
    usage: TokenUsage
    latency_ms: float  # wall time of the whole call, retries and backoff included
    model_latency_ms: int  # Bedrock's own metrics.latencyMs for the attempt that succeeded
    attempts: int
    guardrail_findings: tuple[str, ...] = ()
    """What the call's guardrail acted on (``policy:name:action``), from the response's trace."""

    @property
    def guardrail_intervened(self) -> bool:
        """The guardrail on the call blocked (or masked) the input or the model's text."""
        return self.stop_reason == CONVERSE_INTERVENED

    @property
    def input_tokens(self) -> int:
        return self.usage.input_tokens

    @property
    def output_tokens(self) -> int:
        return self.usage.output_tokens


def parse_output(response: dict[str, Any], model_id: str) -> ToolUse | TextAnswer:
    """The first tool use of the reply if there is one (text beside it is the model thinking aloud),
    else its text blocks joined."""
    content = response.get("output", {}).get("message", {}).get("content", [])
    for block in content:
        if "toolUse" in block:
            tool = block["toolUse"]
            return ToolUse(tool_use_id=tool["toolUseId"], name=tool["name"], input=dict(tool["input"]))
    text = "\n".join(block["text"] for block in content if "text" in block).strip()
    if not text:
        raise ModelResponseError(
            f"Model reply holds no tool use and no text, model_id={model_id}, "
            f"stop_reason={response.get('stopReason')}; check the prompt and the tool configuration"
        )
    return TextAnswer(text)


def guardrail_trace_findings(response: Mapping[str, Any]) -> tuple[str, ...]:
    """The acting findings of a Converse response's ``trace.guardrail`` (input, then output), in order."""
    trace = response.get("trace", {}).get("guardrail", {})
    findings = findings_of(_assessments(trace))
    acted = (f"{f.policy}:{f.name}:{f.action}" for f in findings if f.action in ("BLOCKED", "ANONYMIZED"))
    return tuple(dict.fromkeys(acted))


def _assessments(trace: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    # inputAssessment: guardrail id -> assessment; outputAssessments: guardrail id -> [assessment].
    yield from trace.get("inputAssessment", {}).values()
    for assessments in trace.get("outputAssessments", {}).values():
        yield from assessments
