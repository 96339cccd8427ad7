"""Retrieved passages on their way into the prompt: each screened as input before the model reads it.

A tenant's documents are written by people the assistant does not know, so what retrieval
returns is untrusted, like the user's message: each passage (cut to ``MAX_CHUNK_CHARS``, exactly
the text the prompt would carry) goes through the guardrail with ``source="INPUT"``, the only
side on which Bedrock's prompt-attack filter acts. A passage it blocks is dropped, not the whole
answer; one it anonymizes travels masked; the rest travel as they are. When the guardrail cannot
be reached, no passage travels (unscreened text never reaches the model) and the model answers
without them. ``guardrail_context`` records which passage (its number and source) was dropped
and which filter acted.

Each passage is screened on its own call: a hostile passage among benign ones is judged alone,
not diluted by them, and a verdict names one passage. Calls are made one after another (at most
``RETRIEVAL_LIMIT``), so their order, and the trace, is the retrieval's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from governed_assistant.handlers.constants import MAX_CHUNK_CHARS
from governed_assistant.runtime.guardrails import GuardrailError

if TYPE_CHECKING:
    from governed_assistant.runtime.guardrails import Guardrail
    from governed_assistant.runtime.retrieval import RetrievedChunk


@dataclass(frozen=True)
class Passage:
    """A retrieved passage cleared for the prompt: ``ref`` is its number in the retrieval's order."""

    ref: int
    source: str
    text: str
    score: float


@dataclass(frozen=True)
class DroppedPassage:
    """A passage that does not reach the model, and why (the guardrail's findings, or its error)."""

    ref: int
    source: str
    reasons: tuple[str, ...]

    def note(self) -> str:
        """One line for the decision trace: ``passage 2 (source: x.md): content:PROMPT_ATTACK:BLOCKED``."""
        return f"passage {self.ref} (source: {self.source}): {', '.join(self.reasons) or 'blocked'}"


@dataclass(frozen=True)
class PassageScreening:
    """The passages cleared for the prompt and those dropped, with the stage's outcome."""

    passages: tuple[Passage, ...]
    dropped: tuple[DroppedPassage, ...] = ()
    anonymized: tuple[int, ...] = ()
    error: str | None = None

    @property
    def outcome(self) -> str:
        """``unavailable`` (nothing screened), ``blocked`` (any dropped), ``anonymized`` or ``passed``."""
        if self.error is not None:
            return "unavailable"
        return "blocked" if self.dropped else "anonymized" if self.anonymized else "passed"

    def details(self) -> dict[str, Any]:
        """The ``guardrail_context`` event's details: every passage's fate by number and source."""
        details: dict[str, Any] = {
            "passages": len(self.passages) + len(self.dropped),
            "kept": [passage.ref for passage in self.passages],
            "dropped": [
                {"ref": gone.ref, "source": gone.source, "filters": list(gone.reasons)}
                for gone in self.dropped
            ],
            "reasons": [gone.note() for gone in self.dropped],
        }
        if self.anonymized:
            details["anonymized"] = list(self.anonymized)
        if self.error is not None:
            details["error"] = self.error
        return details


def screen_passages(guardrail: Guardrail, chunks: Sequence[RetrievedChunk]) -> PassageScreening:
    """Each chunk, cut to ``MAX_CHUNK_CHARS``, screened as input; see the module docstring."""
    passages: list[Passage] = []
    dropped: list[DroppedPassage] = []
    anonymized: list[int] = []
    for ref, chunk in enumerate(chunks, start=1):
        try:
            result = guardrail.check_input(chunk.text[:MAX_CHUNK_CHARS])
        except GuardrailError as error:
            unscreened = tuple(DroppedPassage(n, c.source, ("unscreened",)) for n, c in enumerate(chunks, 1))
            return PassageScreening((), unscreened, error=str(error))
        if result.blocked:
            dropped.append(DroppedPassage(ref, chunk.source, result.reasons))
            continue
        if result.outcome == "anonymized":
            anonymized.append(ref)
        passages.append(Passage(ref, chunk.source, result.text, chunk.score))
    return PassageScreening(tuple(passages), tuple(dropped), tuple(anonymized))
