"""The pgvector schema: render the migration, split it into statements, apply it as the owner.

The Data API runs one statement per call, so the file is split here (outside quotes,
dollar-quoted bodies and comments) and each statement runs in one transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any, Protocol

from governed_assistant.runtime.retrieval.constants import READER_ROLE
from governed_assistant.runtime.retrieval.exceptions import MigrationError

MIGRATIONS = ("001_chunks.sql",)
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class StatementRunner(Protocol):
    """Runs statements, in order, in one transaction (psycopg or the Data API)."""

    def run_in_transaction(self, statements: Sequence[str]) -> None: ...

    def scalar(self, sql: str) -> Any: ...


def migration_text() -> str:
    """The migrations, concatenated, as shipped in this package (the infra reads the same text)."""
    folder = resources.files("governed_assistant.runtime.retrieval") / "migrations"
    return "\n".join((folder / name).read_text() for name in MIGRATIONS)


def render(sql: str, *, dimensions: int, reader_role: str = READER_ROLE) -> str:
    """Fills ``{{dimensions}}`` and ``{{reader_role}}``; both are checked, as neither can be bound."""
    if not 1 <= dimensions <= 16000:
        raise MigrationError(
            f"dimensions={dimensions} is not a vector size; use the embedder's (384, 1024...)"
        )
    if not _ROLE.match(reader_role):
        raise MigrationError(
            f"reader_role={reader_role!r} is not a plain PostgreSQL name; use lowercase letters, digits, '_'"
        )
    values = {"dimensions": str(int(dimensions)), "reader_role": reader_role}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise MigrationError(f"the migration names an unknown placeholder, name={name}")
        return values[name]

    return _PLACEHOLDER.sub(fill, sql)


def split_statements(sql: str) -> list[str]:
    """Statements separated by ``;``, ignoring those inside quotes, ``$$`` bodies and comments."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
            current.append("\n")
            continue
        if char == "'":
            end = i + 1
            while True:
                end = sql.find("'", end)
                if end == -1:
                    raise MigrationError("the migration has an unterminated string literal")
                if sql.startswith("''", end):
                    end += 2
                    continue
                break
            current.append(sql[i : end + 1])
            i = end + 1
            continue
        tag = re.match(r"\$[A-Za-z_]*\$", sql[i:])
        if tag:
            end = sql.find(tag.group(0), i + len(tag.group(0)))
            if end == -1:
                raise MigrationError(f"the migration has an unterminated {tag.group(0)} body")
            end += len(tag.group(0))
            current.append(sql[i:end])
            i = end
            continue
        if char == ";":
            statement = "".join(current).strip()
            if statement:
                statements.append(statement)
            current = []
        else:
            current.append(char)
        i += 1
    tail = "".join(current).strip()
    if tail:
        statements.append(tail)
    return statements


def apply_migration(
    runner: StatementRunner, *, dimensions: int, reader_role: str = READER_ROLE, sql: str | None = None
) -> str:
    """Applies the schema (``sql``, or the shipped one) as the connected owner; returns its SHA-256."""
    sql = render(migration_text() if sql is None else sql, dimensions=dimensions, reader_role=reader_role)
    existing = runner.scalar(
        "SELECT a.atttypmod FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = 'governed_chunks' AND a.attname = 'embedding' AND c.relkind = 'r'"
    )
    if existing is not None and int(existing) != dimensions:
        raise MigrationError(
            f"governed_chunks.embedding holds vectors of size={existing}, not dimensions={dimensions}; "
            "keep the embedder's size, or re-create the table and ingest again"
        )
    runner.run_in_transaction(split_statements(sql))
    return hashlib.sha256(sql.encode()).hexdigest()
