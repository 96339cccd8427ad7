"""Aurora through the RDS Data API: the AWS ``TenantSession``, no VPC and no driver.

The Data API is stateless per call; only a ``transactionId`` makes two statements share a
transaction. So every query is BeginTransaction, ``set_config(..., true)`` (SET LOCAL),
the query, CommitTransaction, all with that id; any failure rolls back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from governed_assistant.runtime.retrieval.exceptions import StoreError
from governed_assistant.runtime.retrieval.postgres import SET_TENANT_SQL

# A paused Aurora Serverless v2 (min capacity 0) answers DatabaseResumingException while it wakes.
RESUME_ATTEMPTS = 6
RESUME_DELAY_SECONDS = 5.0


def data_api_parameters(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Python values as the Data API's typed ``SqlParameter`` list."""
    converted = []
    for name, value in params.items():
        if value is None:
            field: dict[str, Any] = {"isNull": True}
        elif isinstance(value, bool):
            field = {"booleanValue": value}
        elif isinstance(value, int):
            field = {"longValue": value}
        elif isinstance(value, float):
            field = {"doubleValue": value}
        elif isinstance(value, str):
            field = {"stringValue": value}
        else:
            raise StoreError(f"no Data API type for parameter name={name}, type={type(value).__name__}")
        converted.append({"name": name, "value": field})
    return converted


def _value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue"):
        if key in field:
            return field[key]
    raise StoreError(f"the Data API returned a field we cannot read, keys={sorted(field)}")


class DataApiSession:
    """Statements on one Aurora cluster, as the secret's user, one transaction per call."""

    def __init__(
        self,
        rds_data: Any,
        *,
        cluster_arn: str,
        secret_arn: str,
        database: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = rds_data
        self._target = {"resourceArn": cluster_arn, "secretArn": secret_arn, "database": database}
        self._sleep = sleep

    def _begin(self) -> str:
        for attempt in range(RESUME_ATTEMPTS):
            try:
                return str(self._client.begin_transaction(**self._target)["transactionId"])
            except self._client.exceptions.DatabaseResumingException:
                if attempt == RESUME_ATTEMPTS - 1:
                    raise
                self._sleep(RESUME_DELAY_SECONDS)
        raise StoreError("unreachable")  # pragma: no cover - the loop returns or raises

    def _execute(self, transaction: str, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {**self._target, "sql": sql, "transactionId": transaction}
        if params:
            request["parameters"] = data_api_parameters(params)
        return dict(self._client.execute_statement(**request))

    def _in_transaction(self, work: Callable[[str], Any]) -> Any:
        transaction = self._begin()
        try:
            result = work(transaction)
        except BaseException:
            self._client.rollback_transaction(
                resourceArn=self._target["resourceArn"],
                secretArn=self._target["secretArn"],
                transactionId=transaction,
            )
            raise
        self._client.commit_transaction(
            resourceArn=self._target["resourceArn"],
            secretArn=self._target["secretArn"],
            transactionId=transaction,
        )
        return result

    def query(self, tenant_id: str, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        def work(transaction: str) -> list[tuple[Any, ...]]:
            self._execute(transaction, SET_TENANT_SQL, {"tenant": tenant_id})
            response = self._execute(transaction, sql, params)
            return [tuple(_value(field) for field in record) for record in response.get("records", [])]

        rows: list[tuple[Any, ...]] = self._in_transaction(work)
        return rows

    def execute_many(self, tenant_id: str, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        def work(transaction: str) -> None:
            self._execute(transaction, SET_TENANT_SQL, {"tenant": tenant_id})
            for sql, params in statements:
                self._execute(transaction, sql, params)

        self._in_transaction(work)

    def run_in_transaction(self, statements: Sequence[str]) -> None:
        def work(transaction: str) -> None:
            for statement in statements:
                self._execute(transaction, statement)

        self._in_transaction(work)

    def scalar(self, sql: str) -> Any:
        response = self._client.execute_statement(**self._target, sql=sql)
        records = response.get("records") or []
        return _value(records[0][0]) if records and records[0] else None

    def close(self) -> None:
        """Nothing to close: the Data API holds no connection between calls."""
