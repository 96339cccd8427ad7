"""Fixtures for the telemetry tests: a tenant's context, a stepping clock, a recorder on memory."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.telemetry import DecisionRecorder, MemorySink

from tests.runtime.telemetry.telemetry_harness import SteppingClock


@pytest.fixture
def context() -> TenantContext:
    return TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="req-1")


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def recorder(sink: MemorySink) -> DecisionRecorder:
    ids = count(1)
    return DecisionRecorder(sink, clock=SteppingClock(), new_event_id=lambda: f"evt-{next(ids)}")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and a region, so no test can reach a real AWS account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_FIREHOSE", raising=False)
    yield
