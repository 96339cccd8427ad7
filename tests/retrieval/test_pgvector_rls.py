"""Row-level security on a real PostgreSQL: what the reader role can and cannot see or do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from governed_assistant.runtime.retrieval import MigrationError, ThrowawayCluster, apply_migration
from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder
from governed_assistant.runtime.retrieval.pgvector import PgvectorRetriever, replace_source
from governed_assistant.runtime.retrieval.postgres import PsycopgSession

from tests.conftest import require_module
from tests.retrieval.conftest import DOCUMENTS, context

psycopg = require_module(
    "psycopg", "the local pgvector store needs it: pip install 'psycopg[binary]>=3.2,<4'"
)
errors = psycopg.errors

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture
def raw_reader(cluster: ThrowawayCluster) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(cluster.reader_dsn, autocommit=True) as connection:
        yield connection


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("What is the refund policy?", id="plain"),
        pytest.param("Globex volcano lair acquisition plans", id="other-tenant-words"),
        pytest.param("x' OR '1'='1", id="sql-quote"),
        pytest.param("'; SELECT set_config('app.tenant_id', 'globex', false); --", id="sql-set-tenant"),
        pytest.param("refund') UNION SELECT content, source, 1 FROM governed_chunks --", id="sql-union"),
    ],
)
def test_retrieve_as_acme_any_query_returns_only_acme_chunks(
    reader: PsycopgSession, embedder: MiniLmEmbedder, query: str
) -> None:
    """Whatever the query text says, tenant acme gets acme's chunks and never globex's."""
    chunks = PgvectorRetriever(reader, embedder).retrieve(context("acme"), query, limit=10)
    assert {c.source for c in chunks} == set(DOCUMENTS["acme"])
    assert all("Globex" not in c.text for c in chunks)


def test_retrieve_ranks_the_relevant_chunk_first(reader: PsycopgSession, embedder: MiniLmEmbedder) -> None:
    """The nearest chunk by cosine distance comes first, with its source and a score in (0, 1]."""
    [first, *_] = PgvectorRetriever(reader, embedder).retrieve(
        context("acme"), "How often are API keys rotated?"
    )
    assert first.source == "security.md"
    assert 0 < first.score <= 1


def test_retrieve_for_unknown_tenant_returns_nothing(
    reader: PsycopgSession, embedder: MiniLmEmbedder
) -> None:
    """A tenant with no documents sees an empty table, not someone else's rows."""
    assert PgvectorRetriever(reader, embedder).retrieve(context("umbrella"), "refund policy") == []


def test_reader_query_with_crafted_filter_sees_only_its_tenant(reader: PsycopgSession) -> None:
    """A hand-written WHERE naming another tenant, run under acme, still returns nothing of globex."""
    rows = reader.query(
        "acme", "SELECT tenant_id FROM governed_chunks WHERE tenant_id = :t OR true", {"t": "globex"}
    )
    assert rows and {r[0] for r in rows} == {"acme"}


def test_connection_without_tenant_sees_nothing(raw_reader: psycopg.Connection[Any]) -> None:
    """A session that never set app.tenant_id reads zero rows, in and out of a transaction."""
    assert raw_reader.execute("SELECT count(*) FROM governed_chunks").fetchone() == (0,)
    with raw_reader.transaction():
        assert raw_reader.execute("SELECT count(*) FROM governed_chunks").fetchone() == (0,)


def test_set_local_tenant_ends_with_its_transaction(raw_reader: psycopg.Connection[Any]) -> None:
    """After a transaction that set the tenant locally, the same connection sees nothing again."""
    with raw_reader.transaction():
        raw_reader.execute("SELECT set_config('app.tenant_id', 'acme', true)")
        assert raw_reader.execute("SELECT count(*) FROM governed_chunks").fetchone()[0] > 0  # type: ignore[index]
    assert raw_reader.execute("SELECT count(*) FROM governed_chunks").fetchone() == (0,)


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        pytest.param(
            "ALTER TABLE governed_chunks DISABLE ROW LEVEL SECURITY",
            errors.InsufficientPrivilege,
            id="disable",
        ),
        pytest.param(
            "ALTER TABLE governed_chunks NO FORCE ROW LEVEL SECURITY",
            errors.InsufficientPrivilege,
            id="no-force",
        ),
        pytest.param(
            "DROP POLICY governed_chunks_tenant_isolation ON governed_chunks",
            errors.InsufficientPrivilege,
            id="drop-policy",
        ),
        pytest.param(
            "CREATE POLICY everything ON governed_chunks USING (true)",
            errors.InsufficientPrivilege,
            id="add-policy",
        ),
        pytest.param("SET ROLE governed_owner", errors.InsufficientPrivilege, id="set-role-owner"),
        pytest.param("SET ROLE postgres", errors.InsufficientPrivilege, id="set-role-superuser"),
        pytest.param(
            "INSERT INTO governed_chunks (tenant_id, source, chunk_index, content, embedding) "
            "SELECT 'acme', 'x', 0, 'x', embedding FROM governed_chunks LIMIT 1",
            errors.InsufficientPrivilege,
            id="insert",
        ),
    ],
)
def test_reader_cannot_widen_its_access(
    raw_reader: psycopg.Connection[Any], statement: str, error: type[Exception]
) -> None:
    """The reader role cannot turn row-level security off, become the owner, or write."""
    with pytest.raises(error):
        raw_reader.execute(statement)


def test_reader_row_security_off_does_not_bypass(raw_reader: psycopg.Connection[Any]) -> None:
    """SET row_security = off makes the reader's query fail instead of skipping the policy."""
    raw_reader.execute("SET row_security = off")
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        raw_reader.execute("SELECT count(*) FROM governed_chunks")


def test_reader_role_is_neither_owner_nor_bypassrls(raw_reader: psycopg.Connection[Any]) -> None:
    """The catalog shows the reader is not the owner, not a superuser and has no BYPASSRLS; RLS is forced."""
    row = raw_reader.execute(
        "SELECT pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity, r.rolsuper, "
        "r.rolbypassrls "
        "FROM pg_class c, pg_roles r WHERE c.relname = 'governed_chunks' AND r.rolname = current_user"
    ).fetchone()
    assert row == ("governed_owner", True, True, False, False)


def test_owner_without_tenant_sees_nothing_and_cannot_write_other_tenant(cluster: ThrowawayCluster) -> None:
    """FORCE binds the owner too: no tenant set means no rows; a row for another tenant fails WITH CHECK."""
    owner = PsycopgSession(cluster.owner_dsn)
    try:
        assert owner.scalar("SELECT count(*) FROM governed_chunks") == 0
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            owner.execute_many(
                "acme",
                [
                    (
                        "INSERT INTO governed_chunks (tenant_id, source, chunk_index, content, embedding) "
                        "VALUES (:t, 'x.md', 9, 'x', CAST(:v AS vector))",
                        {"t": "globex", "v": "[" + ",".join(["0.1"] * cluster.dimensions) + "]"},
                    )
                ],
            )
    finally:
        owner.execute_many("acme", [("DELETE FROM governed_chunks WHERE source = 'x.md'", {})])
        owner.close()


def test_tenant_id_with_sql_is_bound_not_executed(
    cluster: ThrowawayCluster, reader: PsycopgSession, embedder: MiniLmEmbedder
) -> None:
    """A tenant id full of quotes and SQL is stored and matched as data; the table survives."""
    tenant = "o'hara'); DROP TABLE governed_chunks; --"
    owner = PsycopgSession(cluster.owner_dsn)
    try:
        text = "O'Hara keeps the spare keys under the mat."
        replace_source(owner, tenant, "keys.md", [text], embedder.embed([text]))
    finally:
        owner.close()
    chunks = PgvectorRetriever(reader, embedder).retrieve(context(tenant), "where are the keys?")
    assert [(c.source, c.text) for c in chunks] == [("keys.md", text)]
    acme = PgvectorRetriever(reader, embedder).retrieve(context("acme"), "where are the keys?", limit=10)
    assert "keys.md" not in {c.source for c in acme}


def test_migration_reapplied_is_idempotent_and_checks_dimensions(cluster: ThrowawayCluster) -> None:
    """Applying the migration again changes nothing; a different vector size is refused with a fix."""
    owner = PsycopgSession(cluster.owner_dsn)
    try:
        apply_migration(owner, dimensions=cluster.dimensions)
        with pytest.raises(MigrationError, match="dimensions=1024"):
            apply_migration(owner, dimensions=1024)
    finally:
        owner.close()


def test_throwaway_cluster_failed_start_leaves_nothing(cluster: ThrowawayCluster) -> None:
    """A cluster whose bootstrap fails is stopped and its directory removed, not left running."""
    broken = ThrowawayCluster(dimensions=0)
    with pytest.raises(MigrationError, match="dimensions=0"):
        broken.start()
    assert not broken.socket_dir.exists()
