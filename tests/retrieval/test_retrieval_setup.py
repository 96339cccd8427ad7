"""The retrieval setup handler: Data API and Secrets Manager calls by shape, its SQL on a real server."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from governed_assistant.handlers.exceptions import StepInputError
from governed_assistant.handlers.retrieval_setup import setup_pgvector
from governed_assistant.runtime.retrieval import ThrowawayCluster, migration_text
from governed_assistant.runtime.retrieval.migration import render, split_statements

from tests.conftest import require_module
from tests.retrieval.conftest import aws_client

psycopg = require_module(
    "psycopg", "the local pgvector store needs it: pip install 'psycopg[binary]>=3.2,<4'"
)

CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:vectors"
OWNER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:owner-abc"
READER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:reader-abc"


def _event(dimensions: int = 384) -> dict[str, Any]:
    sql = migration_text()
    return {
        "backend": "pgvector",
        "clusterArn": CLUSTER,
        "secretArn": OWNER_ARN,
        "database": "governed",
        "sql": sql,
        "sqlSha256": hashlib.sha256(sql.encode()).hexdigest(),
        "dimensions": dimensions,
        "readerRole": "governed_reader",
        "readerSecretArn": READER_ARN,
    }


def _transaction(stubber: Stubber, tx: str, count: int) -> None:
    target = {"resourceArn": CLUSTER, "secretArn": OWNER_ARN, "database": "governed"}
    stubber.add_response("begin_transaction", {"transactionId": tx}, target)
    for _ in range(count):
        stubber.add_response("execute_statement", {}, {**target, "sql": ANY, "transactionId": tx})
    end = {"resourceArn": CLUSTER, "secretArn": OWNER_ARN, "transactionId": tx}
    stubber.add_response("commit_transaction", {"transactionStatus": "Transaction Committed"}, end)


def test_setup_pgvector_applies_schema_then_sets_reader_secret(cluster: ThrowawayCluster) -> None:
    """Schema in one owner transaction, a new reader password, the reader secret; the SQL runs for real."""
    event = _event(cluster.dimensions)
    statements = split_statements(render(event["sql"], dimensions=384))
    rds, secrets = aws_client("rds-data"), aws_client("secretsmanager")
    sent: list[str] = []
    rds.meta.events.register(
        "before-parameter-build.rds-data.ExecuteStatement", lambda params, **_: sent.append(params["sql"])
    )
    put: list[dict[str, Any]] = []
    secrets.meta.events.register(
        "before-parameter-build.secrets-manager.PutSecretValue", lambda params, **_: put.append(params)
    )
    with Stubber(rds) as rds_stub, Stubber(secrets) as secrets_stub:
        rds_stub.add_response(
            "execute_statement",
            {"records": [[{"isNull": True}]]},
            {"resourceArn": CLUSTER, "secretArn": OWNER_ARN, "database": "governed", "sql": ANY},
        )
        _transaction(rds_stub, "tx-schema", len(statements))
        _transaction(rds_stub, "tx-password", 1)
        secrets_stub.add_response(
            "put_secret_value", {"ARN": READER_ARN}, {"SecretId": READER_ARN, "SecretString": ANY}
        )
        result = setup_pgvector(event, rds, secrets)
        rds_stub.assert_no_pending_responses()
        secrets_stub.assert_no_pending_responses()
    assert result["readerRole"] == "governed_reader" and result["dimensions"] == 384
    secret = json.loads(put[0]["SecretString"])
    assert secret["username"] == "governed_reader" and len(secret["password"]) >= 40
    assert sent[1:-1] == statements
    # The same statements, replayed as the owner (not a superuser) on the real server, succeed.
    with psycopg.connect(cluster.owner_dsn, autocommit=True) as owner, owner.transaction():
        for statement in sent[1:]:
            owner.execute(statement.replace("%", "%%"))
    with psycopg.connect(cluster.superuser_dsn) as admin:
        stored = admin.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'governed_reader'"
        ).fetchone()
    assert stored is not None and str(stored[0]).startswith("SCRAM-SHA-256$")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"sqlSha256": "0" * 64}, "sqlSha256", id="tampered-sql"),
        pytest.param({"dimensions": "384"}, "dimensions", id="dimensions-not-int"),
        pytest.param({"clusterArn": ""}, "clusterArn", id="no-cluster"),
    ],
)
def test_setup_pgvector_bad_input_raises(change: dict[str, Any], field: str) -> None:
    """Input that does not match the infra's contract is refused before any call, naming the field."""
    with pytest.raises(StepInputError, match=f"field={field}"):
        setup_pgvector({**_event(), **change}, aws_client("rds-data"), aws_client("secretsmanager"))
