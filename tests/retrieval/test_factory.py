"""retriever_from_env: the spec's backend and the infra's variables pick the retriever."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from governed_assistant.runtime.retrieval import RetrievalConfigError, retriever_from_env
from governed_assistant.runtime.retrieval.knowledge_base import KnowledgeBaseRetriever
from governed_assistant.runtime.retrieval.opensearch import OpenSearchRetriever
from governed_assistant.runtime.retrieval.pgvector import PgvectorRetriever
from governed_assistant.runtime.retrieval.postgres import PsycopgSession
from governed_assistant.spec.model import AssistantSpec

from tests.conftest import preset_document


def _spec(backend: str) -> AssistantSpec:
    return AssistantSpec.model_validate({**preset_document(), "retrieval": {"backend": backend}})


def _aws() -> Any:
    return boto3.session.Session(
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
    )


@pytest.mark.parametrize(
    ("backend", "env", "kind"),
    [
        pytest.param(
            "knowledge-base", {"GOVERNED_KNOWLEDGE_BASE_ID": "KB1"}, KnowledgeBaseRetriever, id="kb"
        ),
        pytest.param(
            "opensearch",
            {"GOVERNED_COLLECTION_ENDPOINT": "https://x.aoss.amazonaws.com", "GOVERNED_VECTOR_INDEX": "v"},
            OpenSearchRetriever,
            id="opensearch",
        ),
        pytest.param(
            "pgvector",
            {
                "GOVERNED_DB_CLUSTER_ARN": "arn:aws:rds:us-east-1:1:cluster:c",
                "GOVERNED_DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s",
                "GOVERNED_DB_NAME": "db",
                "GOVERNED_EMBEDDING_MODEL_ID": "amazon.titan-embed-text-v2:0",
            },
            PgvectorRetriever,
            id="pgvector-data-api",
        ),
    ],
)
def test_retriever_from_env_builds_backend(backend: str, env: dict[str, str], kind: type) -> None:
    """Each backend is built from the variables the infrastructure sets."""
    assert isinstance(retriever_from_env(_spec(backend), environ=env, boto3_session=_aws()), kind)


def test_retriever_from_env_none_backend_returns_none() -> None:
    """retrieval.backend none means no retriever at all."""
    assert retriever_from_env(_spec("none"), environ={}) is None


def test_retriever_from_env_dsn_selects_psycopg_and_local_model() -> None:
    """GOVERNED_DB_DSN selects a direct connection and the local MiniLM embedder."""
    retriever = retriever_from_env(_spec("pgvector"), environ={"GOVERNED_DB_DSN": "host=/nowhere"})
    assert isinstance(retriever, PgvectorRetriever)
    assert isinstance(retriever._session, PsycopgSession)
    assert retriever._embedder.dimensions == 384


@pytest.mark.parametrize(
    ("backend", "missing"),
    [
        pytest.param("knowledge-base", "GOVERNED_KNOWLEDGE_BASE_ID", id="kb"),
        pytest.param("opensearch", "GOVERNED_COLLECTION_ENDPOINT", id="opensearch"),
        pytest.param("pgvector", "GOVERNED_DB_CLUSTER_ARN", id="pgvector"),
    ],
)
def test_retriever_from_env_missing_variable_raises(backend: str, missing: str) -> None:
    """A missing variable is named in the error, with where it comes from."""
    with pytest.raises(RetrievalConfigError, match=missing):
        retriever_from_env(_spec(backend), environ={}, boto3_session=_aws())
