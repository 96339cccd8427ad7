"""A job's authority: the gate's recorded decision and the digest of the exact proposal it judged.

The gate records its outcome with ``proposal_digest(proposal)`` on the job; the approval step
records the approval it asked for. Every step after the gate recomputes the digest of the
proposal it was handed and runs only what the record backs, so a step's input is never its own
authority. A job is decided once: the same decision may be recorded again (a redelivered gate
event), another one may not, and neither once the job waits for approval or is final.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from governed_assistant.contracts import GateOutcome, Job, JobStatus
from governed_assistant.runtime.jobs.exceptions import DecisionConflictError

# A decision is recorded between the job's acceptance and its first wait or execution.
DECIDABLE_STATUSES: Final[tuple[JobStatus, ...]] = ("accepted", "processing")
# An approval is recorded while the job is still running, before it waits.
APPROVAL_RECORDABLE_STATUSES: Final[tuple[JobStatus, ...]] = ("accepted", "processing", "awaiting_approval")
# The proposal fields the digest covers: what would run, and on what.
DIGESTED_FIELDS: Final = ("actionType", "resourceId", "parameters")


def proposal_digest(proposal: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the proposal's action, resource and parameters.

    ``proposal`` is the wire form (camelCase, as the state carries it); a missing field counts as
    null. Keys are sorted and separators fixed, so equal proposals always give the same digest.
    """
    canonical = json.dumps(
        {field: proposal.get(field) for field in DIGESTED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_decision(job: Job, decision: GateOutcome, digest: str) -> None:
    """Raise ``DecisionConflictError`` unless ``job`` may record ``decision`` for ``digest``."""
    if job.status not in DECIDABLE_STATUSES:
        raise DecisionConflictError(job.job_id, f"the job is {job.status}; decisions come before that")
    if job.decision is not None and (job.decision, job.proposal_digest) != (decision, digest):
        raise DecisionConflictError(
            job.job_id, f"the job was already decided ({job.decision}) for another proposal or outcome"
        )


def check_approval(job: Job, approval_id: str) -> None:
    """Raise ``DecisionConflictError`` unless ``job`` may record that it waits for ``approval_id``."""
    if job.decision != "approve":
        raise DecisionConflictError(
            job.job_id, f"the job's recorded decision is {job.decision}, not approve; nothing to ask"
        )
    if job.status not in APPROVAL_RECORDABLE_STATUSES:
        raise DecisionConflictError(job.job_id, f"the job is {job.status}; it no longer waits for approval")
    if job.approval_id is not None and job.approval_id != approval_id:
        raise DecisionConflictError(job.job_id, "the job already waits for another approval")
