"""Fixtures for the approval tests: a clock, and both backends (memory, moto's DynamoDB)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from approval_fakes import FakeClock
from moto import mock_aws

from components.runtime.approvals import BaseApprovalStore, DynamoDBApprovalStore, InMemoryApprovalStore
from components.runtime.jobs.tables import TableNames, create_tables


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto DynamoDB client with the execution layer's tables."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_tables(client, TableNames.resolve())
        yield client


@pytest.fixture(params=[pytest.param("memory", id="memory"), pytest.param("dynamodb", id="dynamodb")])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> BaseApprovalStore:
    """The same tests run against both backends."""
    if request.param == "memory":
        return InMemoryApprovalStore(clock=clock)
    return DynamoDBApprovalStore(request.getfixturevalue("dynamodb"), clock=clock)
