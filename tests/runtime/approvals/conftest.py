"""Fixtures for the approval tests: a clock, and both backends (memory, moto's DynamoDB)."""

from __future__ import annotations

import pytest
from approval_fakes import FakeClock
from governed_assistant.runtime.approvals import (
    BaseApprovalStore,
    DynamoDBApprovalStore,
    InMemoryApprovalStore,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=[pytest.param("memory", id="memory"), pytest.param("dynamodb", id="dynamodb")])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> BaseApprovalStore:
    """The same tests run against both backends."""
    if request.param == "memory":
        return InMemoryApprovalStore(clock=clock)
    return DynamoDBApprovalStore(request.getfixturevalue("dynamodb"), clock=clock)
