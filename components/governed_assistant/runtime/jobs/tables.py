"""The execution layer's three tables, as ``governed_assistant.infra.job_tables`` declares them.

Tests (moto), the local stack (moto's server) and DynamoDB Local create them here with the same
key schema: jobs and approvals ``pk``/``sk`` (S) with TTL ``expiresAt``; idempotency ``id`` (S)
with TTL ``expiration`` (Powertools' DynamoDBPersistenceLayer defaults). Not imported by the
Lambda handlers, so it stays out of their cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governed_assistant.runtime.approvals.constants import approvals_table_name
from governed_assistant.runtime.idempotency.constants import idempotency_table_name
from governed_assistant.runtime.jobs.constants import jobs_table_name


@dataclass(frozen=True)
class TableNames:
    """The three table names, each resolved: explicit argument, then environment, then default."""

    jobs: str
    approvals: str
    idempotency: str

    @classmethod
    def resolve(
        cls, jobs: str | None = None, approvals: str | None = None, idempotency: str | None = None
    ) -> TableNames:
        return cls(
            jobs=jobs_table_name(jobs),
            approvals=approvals_table_name(approvals),
            idempotency=idempotency_table_name(idempotency),
        )


def table_definitions(names: TableNames) -> list[tuple[dict[str, Any], str]]:
    """``CreateTable`` requests and the TTL attribute of each table, in jobs, approvals, idempotency order."""
    return [
        (_table(names.jobs, ("pk", "sk")), "expiresAt"),
        (_table(names.approvals, ("pk", "sk")), "expiresAt"),
        (_table(names.idempotency, ("id",)), "expiration"),
    ]


def create_tables(client: Any, names: TableNames | None = None) -> TableNames:
    """Create the three tables with ``client`` (boto3 DynamoDB), wait for them, switch TTL on.

    Tables that already exist are left as they are, so the local stack can call this on start.
    """
    names = names or TableNames.resolve()
    existing = set(_table_names(client))
    for request, ttl_attribute in table_definitions(names):
        table = request["TableName"]
        if table in existing:
            continue
        client.create_table(**request)
        client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
        )
    return names


def _table(name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"} for key in keys],
        "KeySchema": [
            {"AttributeName": key, "KeyType": kind}
            for key, kind in zip(keys, ("HASH", "RANGE"), strict=False)
        ],
    }


def _table_names(client: Any) -> list[str]:
    names: list[str] = []
    for page in client.get_paginator("list_tables").paginate():
        names.extend(page.get("TableNames", []))
    return names
