"""Tenant-scoped retrieval: one interface, three backends, the tenant taken from the context alone.

``retriever_from_env(spec)`` returns the spec's retriever (None for ``retrieval.backend: none``):

- ``knowledge-base``: Bedrock ``Retrieve`` with the filter ``tenantId equals <tenant>``;
- ``opensearch``: a k-NN query inside a bool filter on ``tenantId`` (SigV4, no client library);
- ``pgvector``: a chunks table under ENABLE + FORCE row-level security; each query is one
  transaction that sets ``app.tenant_id`` with ``set_config(..., true)`` (SET LOCAL) as the
  ``governed_reader`` role, through the RDS Data API in AWS or psycopg (``GOVERNED_DB_DSN``) locally.

None of them takes a tenant, filter or SQL from the caller, the query text or the model: a
caller's ``narrow`` filter (KB, OpenSearch) is ANDed with the tenant's, so it can only remove
results. The schema ships as ``migrations/001_chunks.sql`` (``migration_text()``); the setup
handler ``governed_assistant.handlers.retrieval_setup`` applies it on deploy. ``ingest`` chunks, embeds
and stores a tenant's documents; ``local`` starts a throwaway PostgreSQL for the local stack.
"""

from __future__ import annotations

from governed_assistant.runtime.retrieval.base import (
    Embedder,
    RetrievedChunk,
    Retriever,
    TenantSession,
)
from governed_assistant.runtime.retrieval.constants import (
    LOCAL_DIMENSIONS,
    LOCAL_MODEL_ID,
    READER_ROLE,
    TITAN_MODEL_ID,
)
from governed_assistant.runtime.retrieval.exceptions import (
    CrossTenantResultError,
    EmbeddingError,
    IngestionError,
    MigrationError,
    RetrievalConfigError,
    RetrievalError,
    StoreError,
)
from governed_assistant.runtime.retrieval.factory import (
    embedder_from_env,
    retriever_from_env,
    session_from_env,
)
from governed_assistant.runtime.retrieval.local import (
    LocalPostgresStatus,
    ThrowawayCluster,
    local_postgres_status,
)
from governed_assistant.runtime.retrieval.migration import apply_migration, migration_text, render

__all__ = [
    "LOCAL_DIMENSIONS",
    "LOCAL_MODEL_ID",
    "READER_ROLE",
    "TITAN_MODEL_ID",
    "CrossTenantResultError",
    "Embedder",
    "EmbeddingError",
    "IngestionError",
    "LocalPostgresStatus",
    "MigrationError",
    "RetrievalConfigError",
    "RetrievalError",
    "RetrievedChunk",
    "Retriever",
    "StoreError",
    "TenantSession",
    "ThrowawayCluster",
    "apply_migration",
    "embedder_from_env",
    "local_postgres_status",
    "migration_text",
    "render",
    "retriever_from_env",
    "session_from_env",
]
