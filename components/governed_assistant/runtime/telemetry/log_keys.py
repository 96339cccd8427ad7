"""The tenant, user, request and job on every log line of the Powertools Logger.

The keys are the decision events' own names (``tenantId``, ``jobId``...), so that one Logs
Insights query finds a job's log lines and its decision events together.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.telemetry.constants import (
    LOG_KEY_JOB,
    LOG_KEY_REQUEST,
    LOG_KEY_TENANT,
    LOG_KEY_USER,
)


def log_keys(context: TenantContext, job_id: str | None = None) -> dict[str, str]:
    """The keys ``bind_log_keys`` appends: tenant, user and request, and the job when known."""
    keys = {
        LOG_KEY_TENANT: context.tenant_id,
        LOG_KEY_USER: context.user_id,
        LOG_KEY_REQUEST: context.request_id,
    }
    if job_id is not None:
        keys[LOG_KEY_JOB] = job_id
    return keys


def bind_log_keys(logger: Logger, context: TenantContext, job_id: str | None = None) -> None:
    """Append the tenant and job keys to ``logger`` until removed (``@logger.inject_lambda_context(
    clear_state=True)`` clears them for the next invocation)."""
    logger.append_keys(**log_keys(context, job_id))


@contextmanager
def bound_log_keys(logger: Logger, context: TenantContext, job_id: str | None = None) -> Iterator[Logger]:
    """Append the tenant and job keys for the ``with`` block only, then remove them."""
    with logger.append_context_keys(**log_keys(context, job_id)):
        yield logger
