"""Spec migrations: bring an older ``assistant.yaml`` to the current ``spec_version``.

Migrations edit the text in place (key names, the version line) rather than loading and
dumping the YAML, so the user's comments, order and formatting survive. Each migration
is one function from version N to N+1; ``copier update`` runs them through
``migrations/spec.py`` at the template root, and ``python -m governed_assistant.spec migrate``
runs them by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from governed_assistant.spec.model import SPEC_VERSION
from governed_assistant.spec.problems import PathPart


class MigrationError(ValueError):
    """When a spec cannot be migrated (unknown version, or not the expected shape)."""


def _key_node(text: str, path: tuple[PathPart, ...]) -> yaml.ScalarNode | None:
    """The YAML node of the *key* at ``path`` (a mapping key), or None if absent."""
    node = yaml.compose(text)
    key_node = None
    for part in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        match = next(((key, value) for key, value in node.value if key.value == part), None)
        if match is None:
            return None
        key_node, node = match
    return key_node


def rename_key(text: str, path: tuple[PathPart, ...], new_name: str) -> str:
    """Rename the mapping key at ``path`` to ``new_name``, leaving every other byte as it was."""
    node = _key_node(text, path)
    if node is None:
        return text
    lines = text.splitlines(keepends=True)
    line = lines[node.start_mark.line]
    start, end = node.start_mark.column, node.end_mark.column
    lines[node.start_mark.line] = line[:start] + new_name + line[end:]
    return "".join(lines)


def set_version(text: str, version: int) -> str:
    """Rewrite the top-level ``spec_version`` value."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise MigrationError("the spec is not a YAML mapping; fix it, then migrate")
    value = next((value for key, value in root.value if key.value == "spec_version"), None)
    if value is None:
        raise MigrationError("the spec has no spec_version; add `spec_version: 1` at the top, then migrate")
    lines = text.splitlines(keepends=True)
    line = lines[value.start_mark.line]
    lines[value.start_mark.line] = (
        line[: value.start_mark.column] + str(version) + line[value.end_mark.column :]
    )
    return "".join(lines)


def _v1_to_v2(text: str) -> str:
    """Version 2 shortens ``risk.approval_threshold``/``deny_threshold`` to ``risk.approval``/``deny``."""
    text = rename_key(text, ("risk", "approval_threshold"), "approval")
    return rename_key(text, ("risk", "deny_threshold"), "deny")


# From version N to N+1.
MIGRATIONS: dict[int, Callable[[str], str]] = {1: _v1_to_v2}


def spec_version_of(text: str) -> int:
    data = yaml.safe_load(text)
    version = data.get("spec_version") if isinstance(data, dict) else None
    if not isinstance(version, int):
        raise MigrationError(f"spec_version={version!r} is not a version number; expected 1..{SPEC_VERSION}")
    return version


def migrate_text(text: str) -> tuple[str, list[int]]:
    """Migrate spec text to the current version; return it and the versions it passed through."""
    version = spec_version_of(text)
    if version > SPEC_VERSION:
        raise MigrationError(
            f"spec_version={version} is newer than this template's {SPEC_VERSION}; run `copier update`"
        )
    applied = []
    while version < SPEC_VERSION:
        text = set_version(MIGRATIONS[version](text), version + 1)
        version += 1
        applied.append(version)
    return text, applied


def migrate_file(path: Path) -> list[int]:
    """Migrate a spec file in place; return the versions applied (empty when already current)."""
    text, applied = migrate_text(path.read_text(encoding="utf-8"))
    if applied:
        path.write_text(text, encoding="utf-8")
    return applied
