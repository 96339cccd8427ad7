"""Every handler logs with its Lambda context (request id, cold start, correlation id) and is traced."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.logging import logger as powertools_logger
from governed_assistant.handlers import api, gate
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.testing import lambda_context
from handler_harness import Stack, api_event

ALICE = {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "api-request-7"}


def _decorators(dotted: str) -> list[str]:
    module_name, _, attribute = dotted.rpartition(".")
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    (function,) = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == attribute]
    return [ast.unparse(decorator) for decorator in function.decorator_list]


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_every_handler_injects_its_lambda_context_and_is_traced(function: str) -> None:
    """Each deployed handler logs with its Lambda context and opens a trace subsegment, never
    recording the response."""
    decorators = _decorators(HANDLERS[function])
    assert len(decorators) == 2, decorators
    assert decorators[0].startswith("LOGGER.inject_lambda_context")
    assert decorators[1] == "TRACER.capture_lambda_handler(capture_response=False)"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the handlers' logger writes, as JSON lines, from a cold start."""
    stream = io.StringIO()
    handler = LOGGER.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    powertools_logger.is_cold_start = True
    try:
        yield stream
    finally:
        handler.setStream(previous)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_api_handler_logs_the_request_id_cold_start_and_the_api_request(
    stack: Stack, log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invoked with a Lambda context, the API function's log lines carry the invocation's request id,
    whether it was a cold start, and API Gateway's request id as the correlation id."""

    def fail(*_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "_serve", fail)
    event = api_event("GET", "/jobs/j-1", route_key="GET /jobs/{id}", path_id="j-1")
    first = api.handler(event, lambda_context("governed-api", request_id="lambda-request-1"))
    second = api.handler(event, lambda_context("governed-api", request_id="lambda-request-2"))
    assert first["statusCode"] == second["statusCode"] == 500
    lines = _lines(log_lines)
    assert [(line["function_request_id"], line["cold_start"]) for line in lines] == [
        ("lambda-request-1", True),
        ("lambda-request-2", False),
    ]
    assert {line["correlation_id"] for line in lines} == {event["requestContext"]["requestId"]}
    assert {line["function_name"] for line in lines} == {"governed-api"}


def test_step_handler_correlates_its_lines_with_the_api_request_that_started_the_job(
    stack: Stack, log_lines: io.StringIO
) -> None:
    """A step's log lines carry the request id of the API request its job came from."""
    # No such job: the gate denies, and logs the security event.
    decision = gate.handler(
        {"jobId": "job-1", "context": ALICE}, lambda_context("governed-gate", request_id="l-9")
    )
    assert decision["outcome"] == "deny"
    (line,) = _lines(log_lines)
    assert (line["message"], line["function_request_id"], line["correlation_id"]) == (
        "Security event at the gate",
        "l-9",
        "api-request-7",
    )
    assert line["cold_start"] is True
