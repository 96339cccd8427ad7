"""``StepHarness``: call a state machine step's handler against in-memory stores, for a spec.

In an owner's test (the forged-input cases in ``tests/test_step_authority.py``):

    with StepHarness(spec) as harness:
        job = harness.new_job(alice)
        harness.decide(job.job_id, proposal, "allow")     # what the gate records
        harness.run("execute", {"jobId": job.job_id, "context": ..., "proposal": ..., ...})

Inside the block the handlers use an Environment of the spec with in-memory jobs and approvals,
a memory sink for decision events, rollout flags with every tenant live (``kill_switch`` on
if asked), and the local guardrail in process for the spec's (it approximates Bedrock's:
``governed_assistant.local.guardrail``), which the approval and respond steps screen
model-written values with. Action modules are imported only when a step really runs one.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from governed_assistant.contracts import GateOutcome, Job, TenantContext
from governed_assistant.handlers import environment
from governed_assistant.runtime.approvals import InMemoryApprovalStore
from governed_assistant.runtime.flags import (
    KILL_SWITCH,
    FixedFlagsStore,
    RolloutFlags,
    Variant,
    build_flags_document,
)
from governed_assistant.runtime.guardrails import Guardrail
from governed_assistant.runtime.guardrails.constants import DEFAULT_GUARDRAIL_VERSION
from governed_assistant.runtime.jobs import InMemoryJobStore, proposal_digest
from governed_assistant.runtime.telemetry import DecisionRecorder, MemorySink
from governed_assistant.testing.context import lambda_context

if TYPE_CHECKING:
    from governed_assistant.spec.model import AssistantSpec

# The steps a harness can call: governed_assistant.handlers.<step>.handler.
STEPS = ("gate", "approval", "execute", "compensate", "respond")
# The in-process guardrail's id, as the steps' ApplyGuardrail requests name it.
GUARDRAIL_ID = "stepharness"


class LocalGuardrailClient:
    """ApplyGuardrail answered in process by the local guardrail, for ``spec``. It is imported on the
    first call: it ships with the offline stack, which a harness that screens nothing never loads."""

    def __init__(self, spec: AssistantSpec) -> None:
        self._spec = spec
        self._client: Any = None

    def apply_guardrail(self, **request: Any) -> dict[str, Any]:
        if self._client is None:
            from governed_assistant.local.guardrail import LocalApplyGuardrail

            self._client = LocalApplyGuardrail(self._spec)
        response: dict[str, Any] = self._client.apply_guardrail(**request)
        return response


class StepHarness:
    """An in-memory Environment for ``spec``, the handlers' own inside ``with``."""

    def __init__(self, spec: AssistantSpec, *, kill_switch: bool = False) -> None:
        document = build_flags_document(spec, live_tenants=())
        document[KILL_SWITCH] = {"default": kill_switch}
        self.spec = spec
        self.jobs = InMemoryJobStore()
        self.approvals = InMemoryApprovalStore()
        self.sink = MemorySink()
        self.env = environment.Environment(
            spec=spec,
            jobs=self.jobs,
            approvals=self.approvals,
            recorder=DecisionRecorder(self.sink),
            flags=RolloutFlags(FixedFlagsStore(document), fallback_variant=Variant.stable(spec)),
            guardrail=Guardrail(LocalGuardrailClient(spec), GUARDRAIL_ID, DEFAULT_GUARDRAIL_VERSION),
        )

    def __enter__(self) -> StepHarness:
        environment.configure(self.env)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        environment.reset()

    def new_job(self, context: TenantContext) -> Job:
        """A job accepted for ``context``, as the API records one."""
        return self.jobs.create(context)

    def decide(self, job: Job, proposal: Mapping[str, Any], outcome: GateOutcome) -> Job:
        """Record ``outcome`` for ``proposal`` on the job, as the gate does."""
        return self.jobs.record_decision(job.tenant_id, job.job_id, outcome, proposal_digest(proposal))

    def run(self, step: str, event: Mapping[str, Any]) -> Any:
        """Call the step's handler with ``event``, as Step Functions would (through Lambda)."""
        if step not in STEPS:
            raise ValueError(f"not a step the harness runs, step={step!r}; use one of {list(STEPS)}")
        module = importlib.import_module(f"governed_assistant.handlers.{step}")
        return module.handler(dict(event), lambda_context(f"governed-{step}"))
