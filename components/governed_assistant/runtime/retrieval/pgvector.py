"""pgvector retrieval: nearest chunks by cosine distance, scoped by row-level security.

The query has no tenant predicate of its own: the table's policy compares ``tenant_id``
with ``app.tenant_id``, which the session sets from the context inside the same
transaction. The query text is embedded and bound; it never becomes SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.retrieval.base import (
    Embedder,
    RetrievedChunk,
    TenantSession,
    checked_limit,
    vector_literal,
)

# Every value is a bound parameter; the table is the migration's (constants.CHUNKS_TABLE).
NEAREST_SQL = (
    "SELECT content, source, 1 - (embedding <=> CAST(:embedding AS vector)) AS score FROM governed_chunks "
    "ORDER BY embedding <=> CAST(:embedding AS vector) LIMIT :limit"
)
DELETE_SOURCE_SQL = "DELETE FROM governed_chunks WHERE source = :source"
INSERT_SQL = (
    "INSERT INTO governed_chunks (tenant_id, source, chunk_index, content, embedding) "
    "VALUES (:tenant, :source, :chunk_index, :content, CAST(:embedding AS vector))"
)


class PgvectorRetriever:
    """Reads the chunks table through a ``TenantSession`` (psycopg locally, the Data API in AWS)."""

    def __init__(self, session: TenantSession, embedder: Embedder) -> None:
        self._session = session
        self._embedder = embedder

    def retrieve(self, context: TenantContext, query: str, *, limit: int = 5) -> list[RetrievedChunk]:
        limit = checked_limit(limit)
        [vector] = self._embedder.embed([query])
        rows = self._session.query(
            context.tenant_id, NEAREST_SQL, {"embedding": vector_literal(vector), "limit": limit}
        )
        return [
            RetrievedChunk(text=str(text), source=str(source), score=float(score))
            for text, source, score in rows
        ]

    def close(self) -> None:
        """Close the session's connection (a stopping local stack; a Lambda keeps its own)."""
        self._session.close()


def replace_source(
    session: TenantSession,
    tenant_id: str,
    source: str,
    chunks: Sequence[str],
    vectors: Sequence[Sequence[float]],
) -> None:
    """Stores one document's chunks for one tenant, replacing what that source had (one transaction)."""
    statements: list[tuple[str, dict[str, Any]]] = [(DELETE_SOURCE_SQL, {"source": source})]
    statements += [
        (
            INSERT_SQL,
            {
                "tenant": tenant_id,
                "source": source,
                "chunk_index": index,
                "content": text,
                "embedding": vector_literal(vector),
            },
        )
        for index, (text, vector) in enumerate(zip(chunks, vectors, strict=True))
    ]
    session.execute_many(tenant_id, statements)
