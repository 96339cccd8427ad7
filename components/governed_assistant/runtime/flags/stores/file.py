"""The flags document in a local JSON file: the local stack's stand-in for AppConfig.

A Powertools ``StoreProvider``, so ``FeatureFlags`` evaluates it exactly as it evaluates AppConfig.
The file is parsed again only when it changes (its mtime, size or inode), so editing it - or
``write_flags_file`` replacing it - takes effect on the next evaluation without a restart.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.feature_flags import StoreProvider

from governed_assistant.runtime.flags.exceptions import FlagsDocumentError

_Stamp = tuple[int, int, int]


class FileFlagsStore(StoreProvider):
    """Reads the flags document from ``path``; raises ``FlagsDocumentError`` if it is missing or not JSON."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: _Stamp | None = None
        self._document: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        with self._lock:
            try:
                status = self.path.stat()
            except OSError as error:
                raise FlagsDocumentError(
                    f"Flags file cannot be read, path={self.path}, error={error.strerror}; "
                    "run `make dev` to write it from assistant.yaml"
                ) from error
            stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
            if stamp != self._stamp:
                self._document = _parse(self.path)
                self._stamp = stamp
            return self._document

    def get_configuration(self) -> dict[str, Any]:
        """The whole file; this store has no envelope."""
        return self.get_raw_configuration


def write_flags_file(path: str | Path, document: dict[str, Any]) -> Path:
    """Write ``document`` to ``path`` atomically, so a reader never sees half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False) as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(handle.name, target)
    return target


def _parse(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise FlagsDocumentError(f"Flags file cannot be read, path={path}, error={error}") from error
    except json.JSONDecodeError as error:
        raise FlagsDocumentError(
            f"Flags file is not valid JSON, path={path}, line={error.lineno}, column={error.colno}, "
            f"error={error.msg}"
        ) from error
    if not isinstance(document, dict):
        raise FlagsDocumentError(
            f"Flags file must hold a JSON object, path={path}, type={type(document).__name__}"
        )
    return document
