"""Token usage in a DynamoDB table keyed by tenant and UTC day.

Table: partition key ``tenantId`` (S), sort key ``day`` (S, ``YYYY-MM-DD``), TTL attribute
``expiresAt``. Each call adds its tokens with one atomic ``UpdateItem ... ADD``, so concurrent
Lambdas never lose an update.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from governed_assistant.runtime.model.base import TokenUsage
from governed_assistant.runtime.model.constants import USAGE_RETENTION_DAYS
from governed_assistant.runtime.model.exceptions import ModelConfigError
from governed_assistant.wire import ENV_USAGE_TABLE


class DynamoDBClient(Protocol):
    """The two methods of a ``boto3.client("dynamodb")`` the store uses."""

    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def update_item(self, **kwargs: Any) -> dict[str, Any]: ...


class DynamoDBTokenUsageStore:
    """Per-tenant, per-day token totals in DynamoDB; ``table_name`` defaults to $GOVERNED_USAGE_TABLE."""

    def __init__(self, client: DynamoDBClient, table_name: str | None = None) -> None:
        resolved = table_name or os.environ.get(ENV_USAGE_TABLE)
        if not resolved:
            raise ModelConfigError(
                f"No token usage table configured, table_name=None, env={ENV_USAGE_TABLE}; pass "
                f"table_name or set {ENV_USAGE_TABLE} to the table the stack creates"
            )
        self.table_name = resolved
        self._client = client

    def usage(self, tenant_id: str, day: date) -> TokenUsage:
        item = self._client.get_item(
            TableName=self.table_name, Key=_key(tenant_id, day), ConsistentRead=True
        ).get("Item")
        return _usage(item or {})

    def record(self, tenant_id: str, day: date, usage: TokenUsage) -> TokenUsage:
        expires = datetime.combine(day + timedelta(days=USAGE_RETENTION_DAYS), time(), tzinfo=UTC)
        response = self._client.update_item(
            TableName=self.table_name,
            Key=_key(tenant_id, day),
            UpdateExpression="ADD inputTokens :input, outputTokens :output SET expiresAt = :expires",
            ExpressionAttributeValues={
                ":input": {"N": str(usage.input_tokens)},
                ":output": {"N": str(usage.output_tokens)},
                ":expires": {"N": str(int(expires.timestamp()))},
            },
            ReturnValues="ALL_NEW",
        )
        return _usage(response.get("Attributes", {}))


def _key(tenant_id: str, day: date) -> dict[str, Any]:
    return {"tenantId": {"S": tenant_id}, "day": {"S": day.isoformat()}}


def _usage(item: dict[str, Any]) -> TokenUsage:
    return TokenUsage(
        input_tokens=int(item.get("inputTokens", {}).get("N", 0)),
        output_tokens=int(item.get("outputTokens", {}).get("N", 0)),
    )
