"""Ingests a folder of documents for one tenant into the pgvector store.

    python -m governed_assistant.runtime.retrieval.ingest --tenant acme docs/acme/

Locally: ``--dsn`` (or ``GOVERNED_DB_DSN``) and the bundled MiniLM embedder. In AWS: the
cluster, the owner's secret and database (``--cluster-arn``/``--secret-arn``/``--database`` or
the ``GOVERNED_DB_*`` variables) through the Data API, and Titan. Each document replaces
its earlier chunks in one transaction run under the tenant, so the table's policy
refuses any row of another tenant.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from governed_assistant.runtime.retrieval.base import Embedder, TenantSession
from governed_assistant.runtime.retrieval.chunking import (
    DEFAULT_CHUNK_CHARS,
    DEFAULT_OVERLAP_CHARS,
    chunk_text,
    documents,
)
from governed_assistant.runtime.retrieval.exceptions import IngestionError, RetrievalError
from governed_assistant.runtime.retrieval.pgvector import replace_source
from governed_assistant.wire import (
    ENV_DB_CLUSTER_ARN,
    ENV_DB_DSN,
    ENV_DB_NAME,
    ENV_DB_SECRET_ARN,
    ENV_EMBEDDING_DIMENSIONS,
    ENV_EMBEDDING_MODEL_ID,
)


@dataclass(frozen=True)
class IngestReport:
    documents: int
    chunks: int
    seconds: float


def ingest_folder(
    session: TenantSession,
    embedder: Embedder,
    tenant_id: str,
    folder: Path,
    *,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    overlap: int = DEFAULT_OVERLAP_CHARS,
    progress: Callable[[int, int, str, int], None] | None = None,
) -> IngestReport:
    """Chunks, embeds and stores every document under ``folder`` for ``tenant_id``."""
    if not tenant_id or len(tenant_id) > 128:
        raise IngestionError(f"tenant_id={tenant_id!r} must be 1 to 128 characters")
    started = time.perf_counter()
    paths = documents(folder)
    total = 0
    for number, path in enumerate(paths, start=1):
        source = path.relative_to(folder).as_posix()
        chunks = chunk_text(
            path.read_text(encoding="utf-8", errors="replace"), size=chunk_chars, overlap=overlap
        )
        vectors = embedder.embed(chunks)
        bad = [len(v) for v in vectors if len(v) != embedder.dimensions]
        if bad:
            raise IngestionError(
                f"embedder gave size={bad[0]}, expected={embedder.dimensions}, source={source}"
            )
        replace_source(session, tenant_id, source, chunks, vectors)
        total += len(chunks)
        if progress:
            progress(number, len(paths), source, len(chunks))
    return IngestReport(documents=len(paths), chunks=total, seconds=time.perf_counter() - started)


def _printer(stream: TextIO) -> Callable[[int, int, str, int], None]:
    def show(number: int, count: int, source: str, chunks: int) -> None:
        width = 24
        done = int(width * number / count)
        stream.write(
            f"\r[{'#' * done}{'.' * (width - done)}] {number}/{count} {source} ({chunks} chunks)\x1b[K"
        )
        if number == count:
            stream.write("\n")
        stream.flush()

    return show


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m governed_assistant.runtime.retrieval.ingest", description=__doc__
    )
    parser.add_argument("folder", type=Path, help="the tenant's documents (.md, .txt, .rst)")
    parser.add_argument("--tenant", required=True, help="the tenant every chunk belongs to")
    parser.add_argument("--dsn", help="a direct PostgreSQL connection (default: GOVERNED_DB_DSN)")
    parser.add_argument(
        "--cluster-arn", help="Aurora cluster for the Data API (default: GOVERNED_DB_CLUSTER_ARN)"
    )
    parser.add_argument(
        "--secret-arn", help="the table owner's secret (not the reader's, which cannot write)"
    )
    parser.add_argument("--database", help="the database name (default: GOVERNED_DB_NAME)")
    parser.add_argument(
        "--embedding-model", help="embedding model id (default: local MiniLM with --dsn, else Titan)"
    )
    parser.add_argument(
        "--dimensions", type=int, help="embedding size; must match the schema's vector column"
    )
    parser.add_argument("--chunk-chars", type=int, default=DEFAULT_CHUNK_CHARS)
    parser.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP_CHARS)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    from governed_assistant.runtime.retrieval.factory import embedder_from_env, session_from_env

    args = _parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    overrides = {
        ENV_DB_DSN: args.dsn,
        ENV_DB_CLUSTER_ARN: args.cluster_arn,
        ENV_DB_SECRET_ARN: args.secret_arn,
        ENV_DB_NAME: args.database,
        ENV_EMBEDDING_MODEL_ID: args.embedding_model,
        ENV_EMBEDDING_DIMENSIONS: str(args.dimensions) if args.dimensions else None,
    }
    env.update({k: v for k, v in overrides.items() if v})
    session = None
    try:
        session = session_from_env(env)
        embedder = embedder_from_env(env)
        print(
            f"ingesting {args.folder} for tenant={args.tenant} "
            f"with {embedder.model_id} ({embedder.dimensions} dims)",
            file=sys.stderr,
        )
        report = ingest_folder(
            session,
            embedder,
            args.tenant,
            args.folder,
            chunk_chars=args.chunk_chars,
            overlap=args.overlap,
            progress=_printer(sys.stderr),
        )
    except RetrievalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if session is not None:
            session.close()
    print(f"stored {report.chunks} chunks from {report.documents} documents in {report.seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
