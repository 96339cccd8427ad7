"""Erasing pgvector rows on a real PostgreSQL, under the table's row-level security."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from governed_assistant.erasure import erase_tenant
from governed_assistant.erasure.stores.vectors import VectorRowsEraser
from governed_assistant.runtime.retrieval import ThrowawayCluster, local_postgres_status
from governed_assistant.runtime.retrieval.pgvector import replace_source
from governed_assistant.runtime.retrieval.postgres import PsycopgSession

from tests.conftest import require_module, skip_or_fail_in_ci

psycopg = require_module("psycopg", "the pgvector store needs it: pip install 'psycopg[binary]>=3.2,<4'")

# acme is a prefix of two others; acme_corp is what LIKE 'acme_corp' would confuse with acme-corp.
TENANTS = ("acme", "acme-corp", "acme_corp", "acme.corp")


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    status = local_postgres_status()
    if not status.available:
        skip_or_fail_in_ci(f"no local PostgreSQL with pgvector: {status.reason}")
    with ThrowawayCluster(status=status) as running:
        yield running


@pytest.fixture
def owner(cluster: ThrowawayCluster) -> Iterator[PsycopgSession]:
    """The table owner, with two chunks for each tenant (one vector each, no embedder needed)."""
    session = PsycopgSession(cluster.owner_dsn)
    vector = [0.1] * cluster.dimensions
    for tenant in TENANTS:
        replace_source(session, tenant, "notes.md", [f"{tenant} one", f"{tenant} two"], [vector, vector])
    yield session
    for tenant in TENANTS:
        session.execute_many(tenant, [("DELETE FROM governed_chunks WHERE tenant_id = :t", {"t": tenant})])
    session.close()


def rows(cluster: ThrowawayCluster) -> dict[str, int]:
    """Every tenant's row count, read as the superuser (who bypasses row-level security)."""
    with psycopg.connect(cluster.superuser_dsn) as connection:
        found = connection.execute(
            "SELECT tenant_id, count(*) FROM governed_chunks GROUP BY tenant_id"
        ).fetchall()
    return dict(found)


def test_erase_tenant_as_owner_deletes_only_that_tenants_rows(
    cluster: ThrowawayCluster, owner: PsycopgSession
) -> None:
    """The owner, set to acme, deletes acme's two chunks; every tenant acme is a prefix of keeps its own."""
    report = erase_tenant("acme", [VectorRowsEraser(owner, "PostgreSQL")], confirm="acme")
    assert [(r.found, r.erased, r.error) for r in report.results] == [(2, 2, None)]
    assert rows(cluster) == dict.fromkeys(TENANTS[1:], 2)


def test_erase_tenant_dry_run_counts_the_rows_and_keeps_them(
    cluster: ThrowawayCluster, owner: PsycopgSession
) -> None:
    """A dry run reads the count under the tenant; nothing is deleted."""
    report = erase_tenant("acme_corp", [VectorRowsEraser(owner, "PostgreSQL")], dry_run=True)
    assert [(r.found, r.erased) for r in report.results] == [(2, 0)]
    assert rows(cluster) == dict.fromkeys(TENANTS, 2)


def test_erase_tenant_as_reader_is_refused_and_deletes_nothing(
    cluster: ThrowawayCluster, owner: PsycopgSession
) -> None:
    """The reason function's role may only read: its erasure fails with the database's refusal."""
    reader = PsycopgSession(cluster.reader_dsn)
    try:
        report = erase_tenant("acme", [VectorRowsEraser(reader, "PostgreSQL")], confirm="acme")
    finally:
        reader.close()
    [result] = report.results
    assert result.found == 2 and result.error is not None and "InsufficientPrivilege" in result.error
    assert rows(cluster) == dict.fromkeys(TENANTS, 2)
