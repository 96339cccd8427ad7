"""The output guardrail step: screen what the user is about to be told.

Input ``{jobId, context, reasoning, results}``; output ``{"text", "outcome"}``. The text is the
model's answer, or the summaries of the action's results in step order. ``anonymized`` text
replaces the original; ``blocked`` replaces it with the guardrail's message. A guardrail that
cannot be reached raises: unscreened text never leaves. Emits ``guardrail_output``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from governed_assistant.handlers.constants import MAX_ANSWER_CHARS
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.logs import JOB_REQUEST_ID, LOGGER
from governed_assistant.handlers.steps import context_of, job_id_of, mapping_of, run_step
from governed_assistant.handlers.tracing import TRACER

STEP: Final = "guardrail_output"
NOTHING_TO_REPORT = "The request was handled; there is nothing more to report."


@LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _screen)
    return result


def _screen(env: Environment, event: Mapping[str, Any], _: Any) -> dict[str, Any]:
    job_id = job_id_of(STEP, event)
    context = context_of(STEP, event)
    reasoning = mapping_of(STEP, event, "reasoning")
    results = mapping_of(STEP, event, "results", optional=True)
    text = answer_text(reasoning, results)
    with env.recorder.stage(job_id, context, STEP) as stage:
        screened = env.guardrail.check_output(text)
        stage.outcome = screened.outcome
        stage.details = {"reasons": list(screened.reasons), "chars": len(text)}
    return {"text": screened.text, "outcome": screened.outcome}


def answer_text(reasoning: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    """The model's answer, else one line per action result (``summary``), in the order they ran."""
    if reasoning.get("kind") == "answer" and isinstance(reasoning.get("text"), str):
        text = reasoning["text"]
    else:
        lines = [
            str(result["summary"])
            for result in results.values()
            if isinstance(result, Mapping) and isinstance(result.get("summary"), str)
        ]
        text = "\n".join(lines)
    return (text.strip() or NOTHING_TO_REPORT)[:MAX_ANSWER_CHARS]
