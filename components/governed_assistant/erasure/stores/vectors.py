"""The pgvector store: the tenant's chunks, deleted as the table owner under row-level security.

``governed_chunks`` forces row-level security on everyone but a superuser: its one policy lets
a transaction see and change only the rows of ``app.tenant_id``. The reason function's role may
only ``SELECT``; the eraser connects as the owner (locally the owner's DSN, in AWS the owner's
secret through the Data API), sets the tenant for the transaction and deletes with an equality on
``tenant_id``: the policy and the predicate both scope it, so a tenant id that looks like SQL or
a ``LIKE`` pattern is just a value that matches no other tenant's rows.
"""

from __future__ import annotations

from typing import Final

from governed_assistant.runtime.retrieval.base import TenantSession

COUNT_SQL: Final = "SELECT count(*) FROM governed_chunks WHERE tenant_id = :tenant"
# One statement that deletes and counts, so the Data API and psycopg read the same answer.
DELETE_SQL: Final = (
    "WITH gone AS (DELETE FROM governed_chunks WHERE tenant_id = :tenant RETURNING 1) "
    "SELECT count(*) FROM gone"
)


class VectorRowsEraser:
    """The tenant's rows of ``governed_chunks``, through a session of a role that may delete (the owner)."""

    note = "chunks and their embeddings"

    def __init__(self, session: TenantSession, where: str) -> None:
        self._session = session
        self.store = f"pgvector chunks in {where}"

    def _scalar(self, tenant_id: str, sql: str) -> int:
        [(value,)] = self._session.query(tenant_id, sql, {"tenant": tenant_id})
        return int(value)

    def count(self, tenant_id: str) -> int:
        return self._scalar(tenant_id, COUNT_SQL)

    def erase(self, tenant_id: str) -> int:
        return self._scalar(tenant_id, DELETE_SQL)

    def close(self) -> None:
        """Close the session (a direct connection; the Data API holds none)."""
        self._session.close()
