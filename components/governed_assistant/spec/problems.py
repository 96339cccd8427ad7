"""A problem found in the spec, located by its path in the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render ``("actions", 2, "parameters")`` as ``actions[2].parameters``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the spec: where it is and what to do about it."""

    path: tuple[PathPart, ...]
    message: str
    line: int | None = None

    @property
    def where(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        prefix = f"line {self.line}: " if self.line is not None else ""
        return f"{prefix}{self.where}: {self.message}"
