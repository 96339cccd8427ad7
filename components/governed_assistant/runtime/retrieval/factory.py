"""Builds the spec's retriever from the environment the infrastructure (or the local stack) sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from governed_assistant.runtime.retrieval.base import Embedder, Retriever, TenantSession
from governed_assistant.runtime.retrieval.constants import (
    BACKENDS,
    DEFAULT_TITAN_DIMENSIONS,
    LOCAL_MODEL_ID,
    TITAN_MODEL_ID,
)
from governed_assistant.runtime.retrieval.exceptions import RetrievalConfigError
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_COLLECTION_ENDPOINT,
    ENV_DB_CLUSTER_ARN,
    ENV_DB_DSN,
    ENV_DB_NAME,
    ENV_DB_SECRET_ARN,
    ENV_EMBEDDING_DIMENSIONS,
    ENV_EMBEDDING_MODEL_ID,
    ENV_KNOWLEDGE_BASE_ID,
    ENV_RETRIEVAL_BACKEND,
    ENV_VECTOR_INDEX,
)


def _required(env: Mapping[str, str], name: str, backend: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise RetrievalConfigError(
            f"retrieval.backend={backend} needs {name}; the infrastructure sets it on the reason function "
            "(locally, set it yourself or use retrieval.backend: none)"
        )
    return value


def _session(boto3_session: Any | None) -> Any:
    if boto3_session is not None:
        return boto3_session
    import boto3  # type: ignore[import-untyped]  # late: the local path needs no AWS

    return boto3.session.Session()


def embedder_from_env(env: Mapping[str, str], boto3_session: Any | None = None) -> Embedder:
    """The local MiniLM when the model id names it (or a DSN is set and no model is), else Titan."""
    model_id = env.get(ENV_EMBEDDING_MODEL_ID, "").strip() or (
        LOCAL_MODEL_ID if env.get(ENV_DB_DSN) else TITAN_MODEL_ID
    )
    if model_id == LOCAL_MODEL_ID:
        from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder

        return MiniLmEmbedder()
    from governed_assistant.runtime.retrieval.titan import TitanEmbedder

    raw = env.get(ENV_EMBEDDING_DIMENSIONS, "").strip() or str(DEFAULT_TITAN_DIMENSIONS)
    if not raw.isdigit():
        raise RetrievalConfigError(
            f"{ENV_EMBEDDING_DIMENSIONS}={raw!r} is not a number; use 256, 512 or 1024"
        )
    client = _session(boto3_session).client("bedrock-runtime")
    return TitanEmbedder(client, model_id=model_id, dimensions=int(raw))


def session_from_env(env: Mapping[str, str], boto3_session: Any | None = None) -> TenantSession:
    """A direct connection when ``GOVERNED_DB_DSN`` is set, else the Data API on the named cluster."""
    dsn = env.get(ENV_DB_DSN, "").strip()
    if dsn:
        from governed_assistant.runtime.retrieval.postgres import PsycopgSession

        return PsycopgSession(dsn)
    from governed_assistant.runtime.retrieval.data_api import DataApiSession

    cluster_arn = _required(env, ENV_DB_CLUSTER_ARN, "pgvector")
    secret_arn = _required(env, ENV_DB_SECRET_ARN, "pgvector")
    database = _required(env, ENV_DB_NAME, "pgvector")
    client = _session(boto3_session).client("rds-data")
    return DataApiSession(client, cluster_arn=cluster_arn, secret_arn=secret_arn, database=database)


def retriever_from_env(
    spec: AssistantSpec,
    *,
    environ: Mapping[str, str] | None = None,
    boto3_session: Any | None = None,
) -> Retriever | None:
    """The retriever for ``GOVERNED_RETRIEVAL_BACKEND``, else the spec's backend; None for ``none``.

    The infrastructure sets the variable to ``spec.retrieval.backend``; the local stack sets it to
    ``pgvector`` (a throwaway PostgreSQL) or ``none`` (when none can start)."""
    env = os.environ if environ is None else environ
    backend = env.get(ENV_RETRIEVAL_BACKEND, "").strip() or spec.retrieval.backend
    if backend not in BACKENDS:
        raise RetrievalConfigError(
            f"{ENV_RETRIEVAL_BACKEND}={backend!r} is not a retrieval backend; use one of {list(BACKENDS)}"
        )
    if backend == "none":
        return None
    if backend == "knowledge-base":
        from governed_assistant.runtime.retrieval.knowledge_base import KnowledgeBaseRetriever

        kb_id = _required(env, ENV_KNOWLEDGE_BASE_ID, backend)
        return KnowledgeBaseRetriever(_session(boto3_session).client("bedrock-agent-runtime"), kb_id)
    if backend == "opensearch":
        from governed_assistant.runtime.retrieval.opensearch import OpenSearchRetriever, SignedTransport

        endpoint = _required(env, ENV_COLLECTION_ENDPOINT, backend)
        index = _required(env, ENV_VECTOR_INDEX, backend)
        session = _session(boto3_session)
        transport = SignedTransport(endpoint, session.get_credentials(), session.region_name)
        return OpenSearchRetriever(transport, index, embedder_from_env(env, session))
    from governed_assistant.runtime.retrieval.pgvector import PgvectorRetriever

    return PgvectorRetriever(session_from_env(env, boto3_session), embedder_from_env(env, boto3_session))
