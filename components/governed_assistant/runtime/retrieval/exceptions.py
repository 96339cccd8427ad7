"""Errors raised while retrieving, embedding, ingesting or migrating."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class RetrievalError(GovernanceError):
    """When tenant-scoped retrieval cannot answer."""


class RetrievalConfigError(RetrievalError):
    """When the environment does not name the store the spec's backend needs."""


class CrossTenantResultError(RetrievalError):
    """When a store returns a chunk tagged with another tenant; nothing from that answer is used."""


class EmbeddingError(RetrievalError):
    """When a text cannot be embedded, or the embedding has the wrong size."""


class StoreError(RetrievalError):
    """When the vector store refuses a query or answers with something unreadable."""


class MigrationError(RetrievalError):
    """When the retrieval schema cannot be rendered or applied."""


class IngestionError(RetrievalError):
    """When documents cannot be chunked, embedded or stored for a tenant."""
