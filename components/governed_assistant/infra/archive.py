"""Deterministic zips: same files, same bytes.

Entries sorted, every timestamp 1980-01-01 (the earliest a zip can hold), every file 0644,
no caches or compiled files. So an archive's hash changes only when its content does, and
``pulumi up`` updates a function only then. ``packaging`` decides what goes in.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from governed_assistant.errors import GovernanceError

EXCLUDED_NAMES: Final = frozenset(
    {
        "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".git",
        ".venv", "node_modules", ".DS_Store",
    }
)  # fmt: skip
EXCLUDED_SUFFIXES: Final = (".pyc", ".pyo", ".swp", "~")

ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
FILE_MODE: Final = 0o644
_UNIX: Final = 3  # ZipInfo.create_system for Unix, whatever machine builds the archive


class PackagingError(GovernanceError):
    """When the code or the dependencies cannot be packaged for Lambda."""


@dataclass(frozen=True)
class BuiltArchive:
    """A zip ready for Lambda, and its hashes."""

    path: Path
    sha256: str
    """Hex SHA-256 of the zip's bytes."""
    source_code_hash: str
    """Base64 SHA-256 of the zip's bytes: what Lambda reports as ``CodeSha256``."""
    entries: int


def _excluded(name: str) -> bool:
    return name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def _walk(path: Path, arcname: str, ancestors: frozenset[str]) -> Iterator[tuple[str, Path]]:
    """Yield ``(name in the archive, file)`` under ``path``, following symlinks, refusing loops."""
    if path.is_symlink() and not path.exists():
        raise PackagingError(f"broken symlink, path={path} -> {os.readlink(path)}; fix or remove it")
    mode = path.stat().st_mode  # follows symlinks: a linked directory is packaged as its content
    if stat.S_ISREG(mode):
        yield arcname, path
        return
    if not stat.S_ISDIR(mode):
        raise PackagingError(f"not a regular file or directory, path={path}; remove it from the package")
    real = os.path.realpath(path)
    if real in ancestors:
        raise PackagingError(f"symlink loop, path={path} leads back to {real}; remove the link")
    for child in sorted(os.listdir(path)):
        if not _excluded(child):
            yield from _walk(path / child, f"{arcname}/{child}", ancestors | {real})


def collect_files(root: Path, paths: Iterable[str]) -> list[tuple[str, Path]]:
    """Every file to package under ``root``'s ``paths``, sorted by its name in the archive."""
    files = [entry for top in paths for entry in _walk(root / top, top, frozenset())]
    names = [name for name, _ in files]
    if len(set(names)) != len(names):
        raise PackagingError(f"two files share a name in the archive, root={root}")
    return sorted(files)


def write_zip(files: Sequence[tuple[str, Path]], out: Path) -> BuiltArchive:
    """Write ``files`` (name in the archive, source) to ``out`` deterministically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, source in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = _UNIX
            info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    partial.replace(out)
    digest = hashlib.sha256(out.read_bytes()).digest()
    return BuiltArchive(out, digest.hex(), base64.b64encode(digest).decode(), len(files))
