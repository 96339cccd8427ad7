"""Which job status may follow which, and who may read a job: the rules both backends share."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Final, get_args

from governed_assistant.contracts import JobStatus, TenantContext
from governed_assistant.runtime.jobs.constants import JOB_ID_PATTERN, KEY_SEPARATOR
from governed_assistant.runtime.jobs.exceptions import InvalidJobKeyError, InvalidTransitionError

ALL_STATUSES: Final[tuple[JobStatus, ...]] = get_args(JobStatus)
TERMINAL_STATUSES: Final[frozenset[JobStatus]] = frozenset({"complete", "failed", "rejected"})

# A status may repeat itself (a stage update while it lasts) unless it is terminal: a finished
# job's result is what the user was told, so nothing may rewrite it.
ALLOWED_TRANSITIONS: Final[Mapping[JobStatus, frozenset[JobStatus]]] = MappingProxyType(
    {
        # The input guardrail may reject, and a dispatch failure fails, before any processing.
        "accepted": frozenset({"accepted", "processing", "failed", "rejected"}),
        "processing": frozenset({"processing", "awaiting_approval", "complete", "failed", "rejected"}),
        # An approval resumes processing, or the rejection (or its timeout) ends the job.
        "awaiting_approval": frozenset({"awaiting_approval", "processing", "failed", "rejected"}),
        "complete": frozenset(),
        "failed": frozenset(),
        "rejected": frozenset(),
    }
)
NON_TERMINAL_STATUSES: Final[tuple[JobStatus, ...]] = tuple(
    status for status in ALL_STATUSES if status not in TERMINAL_STATUSES
)


def sources(target: JobStatus) -> tuple[JobStatus, ...]:
    """The statuses a job may be in to move to ``target`` (what a conditional write checks)."""
    return tuple(status for status in ALL_STATUSES if target in ALLOWED_TRANSITIONS[status])


def check_transition(job_id: str, current: JobStatus, target: JobStatus) -> None:
    """Raise ``InvalidTransitionError`` unless a job in ``current`` may move to ``target``."""
    allowed = ALLOWED_TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransitionError(job_id, current, target, tuple(s for s in ALL_STATUSES if s in allowed))


def may_read(context: TenantContext, tenant_id: str, user_id: str, admin_roles: Collection[str]) -> bool:
    """A job is readable by its own tenant only: by the user who asked, or an admin of that tenant."""
    if context.tenant_id != tenant_id:
        return False
    return context.user_id == user_id or any(role in admin_roles for role in context.roles)


def is_job_id(job_id: str) -> bool:
    """True if ``job_id`` could have come from the store (no key separator, bounded)."""
    return bool(JOB_ID_PATTERN.fullmatch(job_id))


def job_pk(tenant_id: str, job_id: str) -> str:
    """The partition key ``<tenant>#<job>``; refuses ids that could spell another tenant's key."""
    if KEY_SEPARATOR in tenant_id or not tenant_id:
        raise InvalidJobKeyError("tenant_id", tenant_id)
    if not is_job_id(job_id):
        raise InvalidJobKeyError("job_id", job_id)
    return f"{tenant_id}{KEY_SEPARATOR}{job_id}"
