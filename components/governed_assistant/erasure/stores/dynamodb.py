"""The DynamoDB tables: jobs (with their progress), approvals, idempotency records, token usage.

Each eraser finds the tenant's items by the table's own tenant scoping and deletes them by key
with ``BatchWriteItem``:

- jobs: ``pk = <tenant>#<job>``. No index lists a tenant's jobs, so the table is scanned with
  ``begins_with(pk, "<tenant>#")``; tenant ids hold no ``#``, so ``acme#`` is never a prefix of
  ``acme-corp#...``. A job's progress (what ``GET /jobs/{id}/events`` streams) is in the item.
- approvals: one partition, ``pk = <tenant>#approval``: an exact ``Query``.
- token usage: partition key ``tenantId``: an exact ``Query``.
- idempotency: ``id = governed#<md5({jobId, key})>`` names no tenant. The ids the tenant's jobs
  could have (every job times every run key of the spec's actions) are computed and the table is
  scanned for them; records live a day (``expiration``), so the table is small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

from governed_assistant.runtime.approvals.constants import APPROVALS_PARTITION_SUFFIX
from governed_assistant.runtime.idempotency.keys import record_id
from governed_assistant.runtime.jobs.constants import KEY_SEPARATOR

BATCH_WRITE_LIMIT: Final = 25
MAX_UNPROCESSED_ROUNDS: Final = 8


def _pages(client: Any, operation: str, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from client.get_paginator(operation).paginate(**request)


def delete_keys(client: Any, table: str, keys: Sequence[dict[str, Any]]) -> int:
    """Delete every key in batches of 25, retrying what DynamoDB leaves unprocessed."""
    for start in range(0, len(keys), BATCH_WRITE_LIMIT):
        pending: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_WRITE_LIMIT]
        ]
        for _ in range(MAX_UNPROCESSED_ROUNDS):
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        if pending:
            raise RuntimeError(f"DynamoDB left {len(pending)} deletes unprocessed, table={table}; run again")
    return len(keys)


class JobsEraser:
    """The tenant's jobs (and so their progress): ``begins_with(pk, "<tenant>#")``."""

    note = "each job with its progress (GET /jobs/{id}/events)"

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table
        self.store = f"jobs table {table}"

    def items(self, tenant_id: str) -> list[dict[str, Any]]:
        """The tenant's job items (``pk``, ``sk``, ``jobId``), from a scan on the key prefix."""
        prefix = f"{tenant_id}{KEY_SEPARATOR}"
        request = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :prefix)",
            "ExpressionAttributeValues": {":prefix": {"S": prefix}},
            "ProjectionExpression": "pk, sk, jobId",
            "ConsistentRead": True,
        }
        found: list[dict[str, Any]] = []
        for page in _pages(self._client, "scan", request):
            # The filter is the scoping; this re-check costs nothing and names the rule.
            found.extend(item for item in page.get("Items", []) if item["pk"]["S"].startswith(prefix))
        return found

    def job_ids(self, tenant_id: str) -> list[str]:
        return [item["jobId"]["S"] if "jobId" in item else item["pk"]["S"].split(KEY_SEPARATOR, 1)[1]
                for item in self.items(tenant_id)]  # fmt: skip

    def count(self, tenant_id: str) -> int:
        return len(self.items(tenant_id))

    def erase(self, tenant_id: str) -> int:
        keys = [{"pk": item["pk"], "sk": item["sk"]} for item in self.items(tenant_id)]
        return delete_keys(self._client, self.table, keys)


class _PartitionEraser:
    """Every item of one exact partition key value: ``partition(tenant)``'s."""

    note = ""

    def __init__(
        self,
        client: Any,
        table: str,
        store: str,
        keys: tuple[str, str],
        partition: Callable[[str], str],
    ) -> None:
        self._client = client
        self.table = table
        self.store = store
        self._hash_key, self._range_key = keys
        self.partition = partition

    def keys(self, tenant_id: str) -> list[dict[str, Any]]:
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": {"#h": self._hash_key, "#r": self._range_key},
            "ExpressionAttributeValues": {":h": {"S": self.partition(tenant_id)}},
            "ProjectionExpression": "#h, #r",
            "ConsistentRead": True,
        }
        return [item for page in _pages(self._client, "query", request) for item in page.get("Items", [])]

    def count(self, tenant_id: str) -> int:
        return len(self.keys(tenant_id))

    def erase(self, tenant_id: str) -> int:
        return delete_keys(self._client, self.table, self.keys(tenant_id))


class ApprovalsEraser(_PartitionEraser):
    """The tenant's approvals, decided or pending (with their task tokens): ``pk = <tenant>#approval``."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(
            client,
            table,
            f"approvals table {table}",
            ("pk", "sk"),
            lambda tenant_id: f"{tenant_id}{KEY_SEPARATOR}{APPROVALS_PARTITION_SUFFIX}",
        )


class UsageEraser(_PartitionEraser):
    """The tenant's token usage per UTC day (the daily budget's ledger): ``tenantId = <tenant>``."""

    note = "the tenant's budget starts again from zero"

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(
            client, table, f"token usage table {table}", ("tenantId", "day"), lambda tenant_id: tenant_id
        )


class IdempotencyEraser:
    """Remembered action results of the tenant's jobs: ids computed from each job and run key."""

    note = "results of actions run in the last day or so"

    def __init__(
        self,
        client: Any,
        table: str,
        job_ids: Callable[[str], Iterable[str]],
        run_keys: Callable[[str], Iterable[str]],
    ) -> None:
        self._client = client
        self.table = table
        self.store = f"idempotency table {table}"
        self._job_ids = job_ids
        self._run_keys = run_keys

    def candidates(self, tenant_id: str) -> set[str]:
        keys = list(self._run_keys(tenant_id))
        return {record_id(job_id, key) for job_id in self._job_ids(tenant_id) for key in keys}

    def ids(self, tenant_id: str) -> list[str]:
        candidates = self.candidates(tenant_id)
        if not candidates:
            return []
        request = {"TableName": self.table, "ProjectionExpression": "id", "ConsistentRead": True}
        return [
            item["id"]["S"]
            for page in _pages(self._client, "scan", request)
            for item in page.get("Items", [])
            if item["id"]["S"] in candidates
        ]

    def count(self, tenant_id: str) -> int:
        return len(self.ids(tenant_id))

    def erase(self, tenant_id: str) -> int:
        return delete_keys(self._client, self.table, [{"id": {"S": found}} for found in self.ids(tenant_id)])
