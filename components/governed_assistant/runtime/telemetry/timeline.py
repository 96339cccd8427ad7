"""A job's decision chain as text, one line per stage: what ``make trace <job id>`` prints.

For example:

    Job 7f3c  tenant=acme  user=alice  events=3  latency=835.0 ms  tokens=120 in / 45 out
      +0 ms      guardrail_input   pass         12.0 ms
      +15 ms     reason            proposal    820.0 ms  model=amazon.nova-lite-v1:0  tokens=120/45
      +900 ms    gate              deny          3.0 ms  reasons: tenant_mismatch  [security]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.constants import SECURITY_EVENT_KEY

_STAGE_WIDTH = 19  # len("approval_requested") + a space
_OUTCOME_WIDTH = 10


def format_timeline(events: Iterable[DecisionEvent], *, job_id: str | None = None) -> str:
    """The events (one job's, in order) as a header line and one line per stage."""
    chain = sorted(events, key=lambda event: event.timestamp)
    if not chain:
        return f"No decision events for job {job_id or '?'}."
    first = chain[0]
    header = [
        f"Job {job_id or first.job_id}",
        f"tenant={_joined(event.tenant_id for event in chain)}",
        f"user={_joined(event.user_id for event in chain)}",
        f"events={len(chain)}",
        f"latency={sum(event.latency_ms for event in chain):.1f} ms",
    ]
    input_tokens = sum(event.input_tokens or 0 for event in chain)
    output_tokens = sum(event.output_tokens or 0 for event in chain)
    if any(event.input_tokens is not None or event.output_tokens is not None for event in chain):
        header.append(f"tokens={input_tokens} in / {output_tokens} out")
    lines = ["  ".join(header)]
    for event in chain:
        offset_ms = (event.timestamp - first.timestamp).total_seconds() * 1000.0
        line = (
            f"  {f'+{offset_ms:.0f} ms':<10} {event.stage:<{_STAGE_WIDTH}}"
            f"{event.outcome:<{_OUTCOME_WIDTH}} {event.latency_ms:>8.1f} ms"
        )
        notes = _notes(event)
        lines.append(f"{line}  {notes}" if notes else line)
    return "\n".join(lines)


def reasons_of(details: Mapping[str, Any]) -> list[str]:
    """The reasons a stage gave: ``details["reasons"]`` (a list) or ``details["reason"]``."""
    reasons = details.get("reasons")
    if isinstance(reasons, list | tuple):
        return [str(reason) for reason in reasons]
    reason = details.get("reason")
    return [str(reason)] if reason is not None else []


def _notes(event: DecisionEvent) -> str:
    notes: list[str] = []
    # Which action (and workflow step) an execute or compensate event was about.
    if isinstance(event.details.get("action"), str):
        step = event.details.get("step")
        notes.append(f"{event.details['action']}{f'.{step}' if isinstance(step, str) else ''}")
    if event.model_id is not None:
        notes.append(f"model={event.model_id}")
    if event.input_tokens is not None or event.output_tokens is not None:
        notes.append(f"tokens={_count(event.input_tokens)}/{_count(event.output_tokens)}")
    reasons = reasons_of(event.details)
    if reasons:
        notes.append(f"reasons: {', '.join(reasons)}")
    # What the output guardrail withheld or masked of the model-written values a step let out.
    outbound = event.details.get("outbound")
    if isinstance(outbound, Mapping) and outbound.get("outcome") not in (None, "passed"):
        replaced = [*outbound.get("withheld", []), *outbound.get("masked", [])]
        notes.append(f"outbound {outbound['outcome']}: {', '.join(map(str, replaced))}")
    if "error" in event.details:
        notes.append(f"error={event.details['error']}")
    if event.details.get(SECURITY_EVENT_KEY) is True:
        notes.append("[security]")
    return "  ".join(notes)


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _joined(values: Iterable[str]) -> str:
    return ",".join(dict.fromkeys(values))
