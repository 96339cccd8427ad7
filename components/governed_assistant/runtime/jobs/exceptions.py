"""Errors raised while recording and reading jobs."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError, shown


class JobError(GovernanceError):
    """When a job cannot be created, read or changed."""


class JobNotFoundError(JobError):
    """When a job does not exist or the caller may not see it; the two look the same on purpose."""

    kind = "not_found"

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"Job not found, job_id={shown(job_id)}")


class JobExistsError(JobError):
    """When a job is created with an id that is already taken."""

    kind = "conflict"

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"A job with this id already exists; let the store generate ids, job_id={job_id}")


class InvalidTransitionError(JobError):
    """When a job is asked to move to a status its current one does not allow (terminal jobs never move)."""

    kind = "conflict"

    def __init__(self, job_id: str, current: str, target: str, allowed: tuple[str, ...]) -> None:
        self.job_id = job_id
        self.current = current
        self.target = target
        super().__init__(
            f"Job cannot move from {current} to {target}, job_id={job_id} current={current} "
            f"target={target} allowed={list(allowed) or 'none (terminal)'}"
        )


class InvalidJobKeyError(JobError):
    """When a server-side caller passes a tenant or job id that could not have come from the store."""

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        super().__init__(
            f"A job key part must be non-empty and hold no '#' (job ids: [A-Za-z0-9_-]{{1,64}}), "
            f"field={field} value={shown(value)}"
        )


class DecisionConflictError(JobError):
    """When a gate decision or an approval is recorded on a job that was decided otherwise, or cannot be."""

    kind = "conflict"

    def __init__(self, job_id: str, problem: str) -> None:
        self.job_id = job_id
        super().__init__(
            f"Job decision refused, job_id={job_id}: {problem}; a job is decided once, for one "
            "proposal - a new proposal needs a new job"
        )
