"""Fixtures for the job store tests: a clock, contexts, and both backends on moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from job_fakes import FakeClock
from moto import mock_aws

from components.runtime.jobs import DynamoDBJobStore, InMemoryJobStore, JobStore
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
def store(request: pytest.FixtureRequest, clock: FakeClock) -> JobStore:
    """The same tests run against both backends."""
    if request.param == "memory":
        return InMemoryJobStore(clock=clock)
    client = request.getfixturevalue("dynamodb")
    return DynamoDBJobStore(client, clock=clock)
