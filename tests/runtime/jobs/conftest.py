"""Fixtures for the job store tests: a clock, contexts, and both backends on moto's DynamoDB."""

from __future__ import annotations

import pytest
from governed_assistant.runtime.jobs import DynamoDBJobStore, InMemoryJobStore, JobStore
from job_fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=[pytest.param("memory", id="memory"), pytest.param("dynamodb", id="dynamodb")])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> JobStore:
    """The same tests run against both backends."""
    if request.param == "memory":
        return InMemoryJobStore(clock=clock)
    client = request.getfixturevalue("dynamodb")
    return DynamoDBJobStore(client, clock=clock)
