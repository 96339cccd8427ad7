"""The Powertools Logger carries the tenant and job on every line, under the events' own names."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from aws_lambda_powertools import Logger
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.telemetry import bind_log_keys, bound_log_keys, log_keys


@pytest.fixture
def logged() -> tuple[Logger, io.StringIO]:
    stream = io.StringIO()
    logger = Logger(service=f"test-{uuid.uuid4().hex[:8]}", logger_handler=logging.StreamHandler(stream))
    return logger, stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        pytest.param(None, {"tenantId": "acme", "userId": "alice", "requestId": "req-1"}, id="no-job"),
        pytest.param(
            "job-1", {"tenantId": "acme", "userId": "alice", "requestId": "req-1", "jobId": "job-1"}, id="job"
        ),
    ],
)
def test_log_keys_context_names_match_decision_events(
    context: TenantContext, job_id: str | None, expected: dict[str, str]
) -> None:
    """The keys use the decision events' names, so one query finds log lines and events."""
    assert log_keys(context, job_id) == expected


def test_bind_log_keys_logger_lines_carry_tenant_and_job(
    logged: tuple[Logger, io.StringIO], context: TenantContext
) -> None:
    """After binding, every line has tenantId and jobId until the keys are cleared."""
    logger, stream = logged
    bind_log_keys(logger, context, job_id="job-1")
    logger.info("gate decided")
    logger.clear_state()
    logger.info("next invocation")
    first, second = _lines(stream)
    assert (first["tenantId"], first["jobId"]) == ("acme", "job-1")
    assert "tenantId" not in second


def test_bound_log_keys_block_removes_keys_afterwards(
    logged: tuple[Logger, io.StringIO], context: TenantContext
) -> None:
    """The context manager binds the keys for its block only."""
    logger, stream = logged
    with bound_log_keys(logger, context, job_id="job-1"):
        logger.info("inside")
    logger.info("outside")
    inside, outside = _lines(stream)
    assert inside["jobId"] == "job-1"
    assert "jobId" not in outside
