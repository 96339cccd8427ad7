"""The local stack's store: events in a SQLite file, read back in order by ``make trace``.

Each call opens its own short connection, so threads and processes (the local API, the local
state machine's tasks, the trace command) can share one file; SQLite serializes the writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.wire import from_wire, to_wire

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decision_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    epoch_ms REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decision_events_job ON decision_events (job_id, epoch_ms, seq);
"""
_BUSY_TIMEOUT_SECONDS = 5.0


class SqliteEventStore:
    """A SQLite file of DecisionEvents; emitting the same event twice stores it once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as connection:
            connection.executescript(_SCHEMA)

    def emit(self, event: DecisionEvent) -> None:
        with self._connection() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO decision_events (event_id, job_id, tenant_id, stage, epoch_ms, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event.event_id,
                    event.job_id,
                    event.tenant_id,
                    event.stage,
                    event.timestamp.timestamp() * 1000.0,
                    json.dumps(to_wire(event), separators=(",", ":")),
                ),
            )

    def flush(self) -> None:
        """Nothing is buffered: each event is committed as it is emitted."""

    def events_for_job(self, job_id: str, *, tenant_id: str | None = None) -> list[DecisionEvent]:
        query = "SELECT body FROM decision_events WHERE job_id = ?"
        parameters: tuple[str, ...] = (job_id,)
        if tenant_id is not None:
            query += " AND tenant_id = ?"
            parameters += (tenant_id,)
        with self._connection() as connection:
            rows = connection.execute(query + " ORDER BY epoch_ms, seq", parameters).fetchall()
        return [from_wire(json.loads(body)) for (body,) in rows]

    def recent_job_ids(self, *, limit: int = 20, tenant_id: str | None = None) -> list[str]:
        """The ids of the jobs with the latest events, newest first (what ``make trace`` offers)."""
        query = "SELECT job_id, MAX(seq) AS last FROM decision_events"
        parameters: tuple[str | int, ...] = ()
        if tenant_id is not None:
            query += " WHERE tenant_id = ?"
            parameters = (tenant_id,)
        query += " GROUP BY job_id ORDER BY last DESC LIMIT ?"
        with self._connection() as connection:
            rows = connection.execute(query, (*parameters, limit)).fetchall()
        return [str(job_id) for job_id, _ in rows]

    def count_tenant(self, tenant_id: str) -> int:
        """How many events of ``tenant_id`` the file holds."""
        with self._connection() as connection:
            (count,) = connection.execute(
                "SELECT count(*) FROM decision_events WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
        return int(count)

    def delete_tenant(self, tenant_id: str) -> int:
        """Delete ``tenant_id``'s events (erasure); returns how many.

        ``secure_delete`` zeroes the pages the rows leave and ``VACUUM`` rewrites the file, so the
        deleted events cannot be read back from the file's free space.
        """
        with self._connection() as connection:
            connection.execute("PRAGMA secure_delete = ON")
            deleted = connection.execute(
                "DELETE FROM decision_events WHERE tenant_id = ?", (tenant_id,)
            ).rowcount
        with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS)) as connection:
            connection.execute("VACUUM")
        return int(deleted)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # closing() closes the connection; "with connection" commits, or rolls back on an error.
        with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS)) as connection, connection:
            yield connection
