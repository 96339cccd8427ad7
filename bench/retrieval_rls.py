"""Row-level security's cost on pgvector retrieval: the reader under RLS vs a superuser without it.

10,000 chunks (random 384-dim unit vectors) across 10 tenants in a throwaway PostgreSQL. The
same nearest-neighbour query (top 5 by cosine distance) runs as ``governed_reader`` in a
transaction that sets the tenant with ``set_config(..., true)`` (RLS filters the rows), and
as the superuser with the tenant written into the WHERE clause (RLS bypassed), in one run,
interleaved. Prints p50/p99 of each and their ratio (target: RLS <= 1.3x).

    .venv/bin/python bench/retrieval_rls.py [--chunks 10000] [--tenants 10] [--queries 400]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

from governed_assistant.runtime.retrieval import ThrowawayCluster, local_postgres_status
from governed_assistant.runtime.retrieval.base import vector_literal
from governed_assistant.runtime.retrieval.pgvector import NEAREST_SQL
from governed_assistant.runtime.retrieval.postgres import SET_TENANT_SQL, to_pyformat

DIMS = 384
OWNER_SQL = (
    "SELECT content, source, 1 - (embedding <=> CAST(%(embedding)s AS vector)) AS score FROM governed_chunks "
    "WHERE tenant_id = %(tenant)s ORDER BY embedding <=> CAST(%(embedding)s AS vector) LIMIT %(limit)s"
)


def unit_vector(rng: random.Random) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(DIMS)]
    norm = sum(x * x for x in v) ** 0.5
    return [x / norm for x in v]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    status = local_postgres_status()
    if not status.available:
        print(f"skipped: {status.reason}")
        return 0
    rng = random.Random(42)  # noqa: S311 - reproducible test data, not a secret
    tenants = [f"tenant-{i:02d}" for i in range(args.tenants)]
    with ThrowawayCluster(dimensions=DIMS, status=status) as cluster:
        started = time.perf_counter()
        with psycopg.connect(cluster.superuser_dsn) as admin, admin.cursor() as cursor:
            with cursor.copy(
                "COPY governed_chunks (tenant_id, source, chunk_index, content, embedding) FROM STDIN"
            ) as copy:
                for i in range(args.chunks):
                    tenant = tenants[i % len(tenants)]
                    copy.write_row(
                        (tenant, f"doc-{i // 10}.md", i % 10, f"chunk {i}", vector_literal(unit_vector(rng)))
                    )
            cursor.execute("ANALYZE governed_chunks")
        print(f"loaded {args.chunks} chunks, {len(tenants)} tenants, in {time.perf_counter() - started:.1f}s")
        reader = psycopg.connect(cluster.reader_dsn, autocommit=True)
        owner = psycopg.connect(cluster.superuser_dsn, autocommit=True)
        rls: list[float] = []
        plain: list[float] = []
        for n in range(args.queries + 20):
            tenant = tenants[n % len(tenants)]
            params = {"embedding": vector_literal(unit_vector(rng)), "limit": 5, "tenant": tenant}
            t0 = time.perf_counter()
            with reader.transaction(), reader.cursor() as cursor:
                cursor.execute(to_pyformat(SET_TENANT_SQL), {"tenant": tenant})
                cursor.execute(to_pyformat(NEAREST_SQL), params)
                got_rls = cursor.fetchall()
            t1 = time.perf_counter()
            with owner.transaction(), owner.cursor() as cursor:
                cursor.execute(OWNER_SQL, params)
                got_plain = cursor.fetchall()
            t2 = time.perf_counter()
            if got_rls != got_plain:
                print(f"MISMATCH for tenant={tenant}: RLS and explicit filter disagree", file=sys.stderr)
                return 1
            if n >= 20:  # warm-up excluded
                rls.append((t1 - t0) * 1000)
                plain.append((t2 - t1) * 1000)
        reader.close()
        owner.close()
    p50_rls, p99_rls = statistics.median(rls), percentile(rls, 0.99)
    p50_plain, p99_plain = statistics.median(plain), percentile(plain, 0.99)
    print(
        f"queries per side: {len(rls)} (top 5 of ~{args.chunks // len(tenants)} chunks/tenant, exact search)"
    )
    print(f"reader, RLS + SET LOCAL (2 statements, 1 txn): p50 {p50_rls:.2f} ms  p99 {p99_rls:.2f} ms")
    print(f"superuser, no RLS, WHERE tenant_id (1 txn):    p50 {p50_plain:.2f} ms  p99 {p99_plain:.2f} ms")
    ratio50, ratio99 = p50_rls / p50_plain, p99_rls / p99_plain
    verdict = "ok" if ratio50 <= 1.3 else "OVER TARGET"
    print(f"ratio RLS/plain: p50 {ratio50:.2f}x  p99 {ratio99:.2f}x  (target <= 1.3x at p50: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
