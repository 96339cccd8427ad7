"""Ingestion on the real database with the real local embedder, and the chunker it uses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from governed_assistant.runtime.retrieval import IngestionError, ThrowawayCluster
from governed_assistant.runtime.retrieval.chunking import chunk_text
from governed_assistant.runtime.retrieval.ingest import main
from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder
from governed_assistant.runtime.retrieval.pgvector import PgvectorRetriever
from governed_assistant.runtime.retrieval.postgres import PsycopgSession

from tests.conftest import require_module
from tests.retrieval.conftest import context

np = require_module("numpy", "the local embedder needs numpy: pip install numpy")


def _docs(folder: Path, paragraphs: int) -> Path:
    (folder / "guide").mkdir(parents=True)
    (folder / "guide" / "onboarding.md").write_text(
        "\n\n".join(
            f"Step {i}: initech employees file TPS reports with a cover sheet." for i in range(paragraphs)
        )
    )
    (folder / "faq.txt").write_text("Initech's printer jams every Tuesday. Use the second floor printer.")
    (folder / "image.png").write_bytes(b"\x89PNG")
    return folder


def test_ingest_cli_stores_chunks_for_one_tenant_with_progress(
    cluster: ThrowawayCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: MiniLmEmbedder
) -> None:
    """The CLI chunks, embeds and stores one tenant's folder with progress; a re-run adds no duplicates."""
    folder = _docs(tmp_path / "docs", paragraphs=40)
    argv = [
        "--tenant",
        "initech",
        "--dsn",
        cluster.owner_dsn,
        "--chunk-chars",
        "300",
        "--overlap",
        "50",
        str(folder),
    ]
    started = time.perf_counter()
    assert main(argv, environ={}) == 0
    first_run = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert "2/2" in err and "guide/onboarding.md" in err and "all-MiniLM-L6-v2 (384 dims)" in err
    stored = int(out.split()[1])
    assert stored > 2
    assert main(argv, environ={}) == 0
    assert int(capsys.readouterr()[0].split()[1]) == stored
    reader = PsycopgSession(cluster.reader_dsn)
    try:
        count = reader.query("initech", "SELECT count(*) FROM governed_chunks", {})
        hits = PgvectorRetriever(reader, embedder).retrieve(context("initech"), "Which printer should I use?")
        assert reader.query(
            "acme", "SELECT count(*) FROM governed_chunks WHERE tenant_id = 'initech'", {}
        ) == [(0,)]
    finally:
        reader.close()
    assert count == [(stored,)]
    assert hits[0].source == "faq.txt"
    assert first_run < 60


def test_ingest_cli_without_store_fails_with_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With neither a DSN nor a cluster named, the CLI exits 1 and says which variable to set."""
    assert main(["--tenant", "t", str(tmp_path)], environ={}) == 1
    assert "GOVERNED_DB_CLUSTER_ARN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size", "overlap"),
    [
        pytest.param("One. Two. Three. " * 200, 200, 40, id="many-sentences"),
        pytest.param("x" * 5000, 300, 0, id="one-long-word"),
        pytest.param("para one.\n\npara two.\n\n\n\npara three.", 100, 10, id="paragraphs"),
    ],
)
def test_chunk_text_respects_size_and_keeps_all_text(text: str, size: int, overlap: int) -> None:
    """No chunk is longer than the size, and every word of the text lands in some chunk."""
    chunks = chunk_text(text, size=size, overlap=overlap)
    assert chunks and all(len(c) <= size for c in chunks)
    joined = " ".join(chunks)
    assert all(word in joined for word in set(text.split()) if len(word) < size - overlap)
    assert sum(len(c) for c in chunks) >= len("".join(text.split()))


def test_chunk_text_bad_sizes_raise() -> None:
    """An overlap as large as half the chunk is refused."""
    with pytest.raises(IngestionError, match="overlap"):
        chunk_text("text", size=100, overlap=60)


def test_minilm_embeds_unit_vectors_that_rank_paraphrases_closest(embedder: MiniLmEmbedder) -> None:
    """384 floats of unit length; a paraphrase is nearer than an unrelated sentence."""
    vectors = np.array(
        embedder.embed(["The cat sits on the mat.", "A cat is sitting on a rug.", "Revenue grew 10%."])
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.6 > 0.2 > vectors[0] @ vectors[2]
