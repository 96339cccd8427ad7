"""Fixtures for erasure: moto's AWS with the stack's tables and a versioned documents bucket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from governed_assistant.runtime.jobs.tables import TableNames, create_tables
from moto import mock_aws

REGION = "eu-west-1"
USAGE_TABLE = "governed-token-usage"
BUCKET = "assistant-dev-documents"


@dataclass
class Aws:
    """moto clients, and the names of what the fixture created."""

    session: Any
    tables: TableNames

    def client(self, service: str) -> Any:
        return self.session.client(service)


def create_usage_table(dynamodb: Any, name: str = USAGE_TABLE) -> None:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "tenantId", "AttributeType": "S"},
            {"AttributeName": "day", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "tenantId", "KeyType": "HASH"},
            {"AttributeName": "day", "KeyType": "RANGE"},
        ],
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto with the jobs, approvals, idempotency and usage tables, and a versioned bucket."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        dynamodb = session.client("dynamodb")
        tables = create_tables(dynamodb, TableNames.resolve())
        create_usage_table(dynamodb)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield Aws(session=session, tables=tables)
