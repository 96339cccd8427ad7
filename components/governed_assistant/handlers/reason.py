"""The reason step: retrieve for the tenant, screen what was retrieved, ask the model, return a
proposal or an answer.

Input ``{jobId, context, message}``; output ``{"kind": "proposal", "proposal": {...}}`` or
``{"kind": "answer", "text", "sources"}``. A user's message was screened by the input guardrail
before the job started (an insight's comes from a trusted producer, recorded as such); each
retrieved passage is screened here, as input, before the model reads it
(``governed_assistant.handlers.passages``): a passage the guardrail blocks is dropped and the rest
reach the model marked as untrusted data (``governed_assistant.handlers.prompting``). The Converse
call carries the spec's guardrail (``guardrailConfig``, trace on), which assesses the request's
``guardContent`` blocks (the question, and the passages as grounding sources) and the model's
text; when it intervenes, its message is the answer and no proposal is made. It does not read a
tool use's input: the values a proposal carries are screened where they leave the system
(``governed_assistant.handlers.outbound``: the approval, the job's result).

The model only proposes: its tool use is parsed into an ActionProposal for the gate to judge. A
tool use that does not parse travels on as a MalformedProposal (why, and the tenants it names;
never the tool use itself), which the gate denies with ``malformed_proposal`` on record. Emits
``retrieve`` and ``guardrail_context`` (when the spec retrieves and something was found) and
``reason`` (with the model id and tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from governed_assistant.contracts import TenantContext
from governed_assistant.handlers.constants import MAX_MESSAGE_CHARS, RETRIEVAL_LIMIT
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import StepInputError
from governed_assistant.handlers.logs import JOB_REQUEST_ID, LOGGER
from governed_assistant.handlers.passages import Passage, screen_passages
from governed_assistant.handlers.prompting import cited_sources, converse_messages
from governed_assistant.handlers.steps import context_of, job_id_of, run_step
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.actions import (
    ProposalError,
    action_catalog,
    malformed_proposal,
    parse_tool_use,
)
from governed_assistant.runtime.guardrails.constants import FALLBACK_BLOCKED_MESSAGE
from governed_assistant.runtime.model import CircuitBreakerSettings, TextAnswer, ToolUse

if TYPE_CHECKING:
    from governed_assistant.runtime.flags import RolloutSnapshot
    from governed_assistant.runtime.retrieval import RetrievedChunk

STEP = "reason"


@LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Any, lambda_context: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_step(STEP, event, lambda_context, _reason)
    return result


def _reason(env: Environment, event: Mapping[str, Any], _: Any) -> dict[str, Any]:
    job_id = job_id_of(STEP, event)
    context = context_of(STEP, event)
    message = event.get("message")
    if not isinstance(message, str) or not 0 < len(message) <= MAX_MESSAGE_CHARS:
        raise StepInputError(STEP, "message", f"expected 1..{MAX_MESSAGE_CHARS} characters of text")
    passages = _screen(env, job_id, context, _retrieve(env, job_id, context, message))
    snapshot = _snapshot(env, context)
    model = env.model_client(snapshot)
    spec = env.spec
    tool_config = action_catalog(spec).tool_config() if spec.actions else None
    with env.recorder.stage(job_id, context, "reason") as stage:
        stage.model_id = model.model_id
        stage.details = {"variant": snapshot.variant.name, "chunks": len(passages)}
        if snapshot.problem:
            stage.details["flagsProblem"] = snapshot.problem
        result = model.converse(
            context.tenant_id,
            converse_messages(message, passages, context.tenant_id),
            tool_config=tool_config,
        )
        stage.input_tokens = result.input_tokens
        stage.output_tokens = result.output_tokens
        stage.details |= {"stopReason": result.stop_reason, "attempts": result.attempts}
        output = result.output
        if result.guardrail_intervened:
            # The guardrail's message is the answer; whatever else the reply held is not used.
            stage.outcome = "blocked"
            stage.details["reasons"] = list(result.guardrail_findings)
            text = output.text if isinstance(output, TextAnswer) else FALLBACK_BLOCKED_MESSAGE
            return {"kind": "answer", "text": text, "sources": []}
        if not isinstance(output, ToolUse):
            stage.outcome = "answer"
            return {"kind": "answer", "text": output.text, "sources": cited_sources(passages)}
        proposal, problem = _proposal(output)
        stage.outcome = "proposal" if problem is None else "malformed_proposal"
        stage.details |= {"actionType": output.name, **({"problem": problem} if problem else {})}
        return {"kind": "proposal", "proposal": proposal}


def _retrieve(env: Environment, job_id: str, context: TenantContext, message: str) -> list[RetrievedChunk]:
    retriever = env.retriever
    if retriever is None:
        return []
    with env.recorder.stage(job_id, context, "retrieve") as stage:
        chunks = list(retriever.retrieve(context, message, limit=RETRIEVAL_LIMIT))
        stage.outcome = "found" if chunks else "empty"
        sources = [
            {"ref": ref, "source": chunk.source, "score": round(chunk.score, 4)}
            for ref, chunk in enumerate(chunks, start=1)
        ]
        stage.details = {"backend": env.spec.retrieval.backend, "sources": sources}
    return chunks


def _screen(
    env: Environment, job_id: str, context: TenantContext, chunks: list[RetrievedChunk]
) -> tuple[Passage, ...]:
    """The passages the guardrail clears for the prompt; ``guardrail_context`` says what it dropped."""
    if not chunks:
        return ()
    with env.recorder.stage(job_id, context, "guardrail_context") as stage:
        screening = screen_passages(env.guardrail, chunks)
        stage.outcome = screening.outcome
        stage.details = screening.details()
    return screening.passages


def _snapshot(env: Environment, context: TenantContext) -> RolloutSnapshot:
    """The tenant's variant and breaker settings; the stable ones when no flags store is configured.

    Failing closed matters to the gate (kill switch, shadow); here it only picks a model.
    """
    # Imported here: the flags load Powertools feature flags and boto3, which the first
    # invocation pays anyway (env.flags); at module level they would lengthen the cold import.
    from governed_assistant.runtime.flags import FlagsConfigError, RolloutSnapshot, Variant

    try:
        return env.flags.for_tenant(context)
    except FlagsConfigError as error:
        LOGGER.warning("No rollout flags configured; using the spec's model", extra={"problem": str(error)})
        return RolloutSnapshot(
            tenant_id=context.tenant_id,
            shadow=True,
            kill_switch=True,
            variant=Variant.stable(env.spec),
            breaker=CircuitBreakerSettings(),
            problem=str(error),
        )


def _proposal(tool: ToolUse) -> tuple[dict[str, Any], str | None]:
    """The proposal as the wire shape; a tool use that does not parse becomes a MalformedProposal."""
    try:
        proposal = parse_tool_use({"toolUseId": tool.tool_use_id, "name": tool.name, "input": tool.input})
    except ProposalError as error:
        malformed = malformed_proposal(tool.name, tool.input, error)
        return malformed.model_dump(mode="json", by_alias=True), malformed.problem
    return proposal.model_dump(mode="json", by_alias=True), None
