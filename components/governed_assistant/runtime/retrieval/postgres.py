"""A direct PostgreSQL connection (psycopg 3): the local stack's and the tests' ``TenantSession``.

Each call is one transaction that first runs ``set_config('app.tenant_id', <tenant>, true)``:
the ``true`` makes it ``SET LOCAL``, so the tenant ends with the transaction and a pooled
connection never carries one caller's tenant into the next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from governed_assistant.runtime.retrieval.constants import TENANT_SETTING
from governed_assistant.runtime.retrieval.exceptions import StoreError
from governed_assistant.wire import ENV_DB_DSN

SET_TENANT_SQL = f"SELECT set_config('{TENANT_SETTING}', :tenant, true)"
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def to_pyformat(sql: str) -> str:
    """``:name`` (the Data API's placeholders) to psycopg's ``%(name)s``; ``::`` casts stay."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


class PsycopgSession:
    """One psycopg connection (autocommit outside our explicit transactions)."""

    def __init__(self, dsn: str, *, connection: Any = None) -> None:
        self._dsn = dsn
        self._connection = connection

    def _connect(self) -> Any:
        if self._connection is None or self._connection.closed:
            try:
                import psycopg  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only
            except ImportError as error:
                raise StoreError(
                    f"{ENV_DB_DSN} needs package=psycopg; pip install 'psycopg[binary]>=3.2,<4'"
                ) from error
            self._connection = psycopg.connect(self._dsn, autocommit=True)
        return self._connection

    def query(self, tenant_id: str, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        connection = self._connect()
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(to_pyformat(SET_TENANT_SQL), {"tenant": tenant_id})
            cursor.execute(to_pyformat(sql), params)
            return list(cursor.fetchall())

    def execute_many(self, tenant_id: str, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        connection = self._connect()
        with connection.transaction(), connection.cursor() as cursor:
            cursor.execute(to_pyformat(SET_TENANT_SQL), {"tenant": tenant_id})
            for sql, params in statements:
                cursor.execute(to_pyformat(sql), params)

    def run_in_transaction(self, statements: Sequence[str]) -> None:
        connection = self._connect()
        with connection.transaction(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.replace("%", "%%"))

    def scalar(self, sql: str) -> Any:
        with self._connect().cursor() as cursor:
            cursor.execute(sql.replace("%", "%%"))
            row = cursor.fetchone()
            return row[0] if row else None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
