"""Errors raised while running an action at most once."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class ActionInProgressError(GovernanceError):
    """When a duplicate delivery arrives while the first run of the same job and key is still running.

    Let Step Functions retry it (``Retry`` on ``ActionInProgressError``): the retry then returns
    the first run's result.
    """

    def __init__(self, job_id: str, key: str) -> None:
        self.job_id = job_id
        self.key = key
        super().__init__(
            f"This action is already running for this job; retry later, job_id={job_id} key={key}"
        )


class IdempotencyStoreError(GovernanceError):
    """When the idempotency table cannot be read or written, so at-most-once cannot be guaranteed."""

    def __init__(self, job_id: str, key: str, cause: str) -> None:
        self.job_id = job_id
        self.key = key
        super().__init__(
            f"Idempotency store failed; the action was not run, job_id={job_id} key={key} cause={cause}"
        )
