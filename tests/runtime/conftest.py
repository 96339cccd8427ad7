"""Fixtures the runtime's tests share: moto's DynamoDB with the execution tables, a stubbed Bedrock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from governed_assistant.runtime.jobs.tables import TableNames, create_tables
from moto import mock_aws


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto DynamoDB client with the execution layer's tables."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_tables(client, TableNames.resolve())
        yield client


@pytest.fixture
def bedrock() -> Any:
    """A real botocore bedrock-runtime client: the Stubber checks calls against its service model."""
    session = botocore.session.get_session()
    return session.create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - a dummy credential; nothing leaves the process
    )


@pytest.fixture
def stubber(bedrock: Any) -> Iterator[Stubber]:
    with Stubber(bedrock) as stub:
        yield stub
        stub.assert_no_pending_responses()
