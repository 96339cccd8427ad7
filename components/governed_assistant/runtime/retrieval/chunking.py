"""Splits documents into overlapping chunks on paragraph and sentence boundaries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from governed_assistant.runtime.retrieval.exceptions import IngestionError

DEFAULT_CHUNK_CHARS = 800  # about 200 tokens: inside MiniLM's 256-token window
DEFAULT_OVERLAP_CHARS = 100
TEXT_SUFFIXES = (".md", ".txt", ".rst", ".markdown")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def chunk_text(
    text: str, *, size: int = DEFAULT_CHUNK_CHARS, overlap: int = DEFAULT_OVERLAP_CHARS
) -> list[str]:
    """Chunks of at most ``size`` characters; each starts with the last ``overlap`` of the one before."""
    if size < 50 or not 0 <= overlap < size // 2:
        raise IngestionError(f"chunk size={size}, overlap={overlap}: use size >= 50 and overlap < size/2")
    pieces = [p for para in re.split(r"\n\s*\n", text) for p in _pieces(para.strip(), size - overlap)]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > size:
            chunks.append(current)
            tail = current[-overlap:] if overlap else ""
            current = f"{tail.lstrip()} {piece}".strip() if tail else piece
        else:
            current = f"{current}\n{piece}".strip() if current else piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(paragraph: str, limit: int) -> Iterator[str]:
    """A paragraph as sentences, and sentences longer than ``limit`` cut at the limit."""
    if not paragraph:
        return
    for sentence in _SENTENCE.split(paragraph):
        for start in range(0, len(sentence), limit):
            yield sentence[start : start + limit]


def documents(folder: Path) -> list[Path]:
    """The text documents under ``folder``, in a stable order."""
    if not folder.is_dir():
        raise IngestionError(
            f"not a folder, path={folder}; pass the folder that holds the tenant's documents"
        )
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
