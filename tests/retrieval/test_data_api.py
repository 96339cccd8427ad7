"""The pgvector retriever over the RDS Data API: one transaction per query, checked with Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from governed_assistant.runtime.retrieval import RetrievedChunk
from governed_assistant.runtime.retrieval.data_api import DataApiSession
from governed_assistant.runtime.retrieval.pgvector import NEAREST_SQL, PgvectorRetriever
from governed_assistant.runtime.retrieval.postgres import SET_TENANT_SQL

from tests.retrieval.conftest import aws_client, context

CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:vectors"
CREDENTIALS_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:reader-abc"
TARGET = {"resourceArn": CLUSTER, "secretArn": CREDENTIALS_ARN, "database": "assistant"}


class FixedEmbedder:
    """A four-dimension embedder whose vector is known, so the bound parameter can be asserted."""

    dimensions = 4
    model_id = "fixed"

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[0.5, 0.5, 0.5, 0.5] for _ in texts]


@pytest.fixture
def rds() -> Iterator[tuple[Any, Stubber]]:
    client = aws_client("rds-data")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _session(client: Any, sleeps: list[float] | None = None) -> DataApiSession:
    return DataApiSession(
        client,
        cluster_arn=CLUSTER,
        secret_arn=CREDENTIALS_ARN,
        database="assistant",
        sleep=(sleeps or []).append,
    )


def _expect_query(stubber: Stubber, tenant: str, records: list[Any]) -> None:
    stubber.add_response("begin_transaction", {"transactionId": "tx-1"}, TARGET)
    stubber.add_response(
        "execute_statement",
        {"records": [[{"stringValue": tenant}]]},
        {
            **TARGET,
            "sql": SET_TENANT_SQL,
            "transactionId": "tx-1",
            "parameters": [{"name": "tenant", "value": {"stringValue": tenant}}],
        },
    )
    stubber.add_response(
        "execute_statement",
        {"records": records},
        {
            **TARGET,
            "sql": NEAREST_SQL,
            "transactionId": "tx-1",
            "parameters": [
                {"name": "embedding", "value": {"stringValue": "[0.5,0.5,0.5,0.5]"}},
                {"name": "limit", "value": {"longValue": 3}},
            ],
        },
    )


def test_retrieve_sets_tenant_and_queries_in_one_transaction(rds: tuple[Any, Stubber]) -> None:
    """BeginTransaction, set_config with the context's tenant, the query, Commit: all with one id."""
    client, stubber = rds
    _expect_query(
        stubber,
        "acme",
        [[{"stringValue": "Invoices go out monthly."}, {"stringValue": "billing.md"}, {"doubleValue": 0.75}]],
    )
    stubber.add_response(
        "commit_transaction",
        {"transactionStatus": "Transaction Committed"},
        {"resourceArn": CLUSTER, "secretArn": CREDENTIALS_ARN, "transactionId": "tx-1"},
    )
    chunks = PgvectorRetriever(_session(client), FixedEmbedder()).retrieve(
        context("acme"), "invoices?", limit=3
    )
    assert chunks == [RetrievedChunk(text="Invoices go out monthly.", source="billing.md", score=0.75)]


def test_retrieve_failure_rolls_back(rds: tuple[Any, Stubber]) -> None:
    """When the query fails, the transaction is rolled back rather than left open."""
    client, stubber = rds
    stubber.add_response("begin_transaction", {"transactionId": "tx-1"}, TARGET)
    stubber.add_response(
        "execute_statement", {}, {**TARGET, "sql": SET_TENANT_SQL, "transactionId": "tx-1", "parameters": ANY}
    )
    stubber.add_client_error("execute_statement", "BadRequestException", "syntax error")
    stubber.add_response(
        "rollback_transaction",
        {"transactionStatus": "Rollback Complete"},
        {"resourceArn": CLUSTER, "secretArn": CREDENTIALS_ARN, "transactionId": "tx-1"},
    )
    with pytest.raises(client.exceptions.BadRequestException):
        PgvectorRetriever(_session(client), FixedEmbedder()).retrieve(context("acme"), "q", limit=3)


def test_begin_while_database_resumes_waits_and_retries(rds: tuple[Any, Stubber]) -> None:
    """A paused Aurora cluster's DatabaseResumingException is waited out, then the query runs."""
    client, stubber = rds
    stubber.add_client_error("begin_transaction", "DatabaseResumingException", "resuming")
    _expect_query(stubber, "acme", [])
    stubber.add_response(
        "commit_transaction",
        {"transactionStatus": "Transaction Committed"},
        {"resourceArn": CLUSTER, "secretArn": CREDENTIALS_ARN, "transactionId": "tx-1"},
    )
    sleeps: list[float] = []
    session = DataApiSession(
        client, cluster_arn=CLUSTER, secret_arn=CREDENTIALS_ARN, database="assistant", sleep=sleeps.append
    )
    assert PgvectorRetriever(session, FixedEmbedder()).retrieve(context("acme"), "q", limit=3) == []
    assert sleeps == [5.0]
