"""The retrieval interface every backend implements, and the parts it is built from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.retrieval.constants import MAX_LIMIT
from governed_assistant.runtime.retrieval.exceptions import RetrievalError


@dataclass(frozen=True)
class RetrievedChunk:
    text: str
    source: str
    score: float


class Retriever(Protocol):
    def retrieve(self, context: TenantContext, query: str, *, limit: int = 5) -> list[RetrievedChunk]: ...


class Embedder(Protocol):
    """Turns texts into vectors of ``dimensions`` floats (unit length)."""

    @property
    def dimensions(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class TenantSession(Protocol):
    """Runs SQL in one transaction whose ``app.tenant_id`` is set first, with ``SET LOCAL`` semantics.

    SQL uses ``:name`` placeholders (the Data API's); every value is a bound parameter.
    """

    def query(self, tenant_id: str, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]: ...

    def execute_many(self, tenant_id: str, statements: Sequence[tuple[str, dict[str, Any]]]) -> None: ...

    def close(self) -> None: ...


def checked_limit(limit: int) -> int:
    """A result count the stores accept; a model or caller asking for thousands gets an error."""
    if not 1 <= limit <= MAX_LIMIT:
        raise RetrievalError(f"limit={limit} is out of range; ask for 1 to {MAX_LIMIT} chunks")
    return limit


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form, bound as a parameter and cast in SQL (``CAST(:v AS vector)``)."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"
