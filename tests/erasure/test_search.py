"""Erasing OpenSearch documents: the signed requests, and what a keyword-term index gives back.

No OpenSearch runs here, so ``IndexPool`` stands where urllib3 sends the bytes: it keeps
documents per index and answers ``_search`` and ``_bulk`` as OpenSearch does for the subset the
eraser sends (a ``term`` on a keyword field matches the whole value), and refuses anything else,
so a query that used ``prefix``, ``wildcard`` or ``match`` would fail here rather than pass.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.credentials import Credentials
from governed_assistant.erasure import erase_tenant
from governed_assistant.erasure.stores.search import SearchDocumentsEraser
from governed_assistant.runtime.retrieval.opensearch import SignedTransport

TENANTS = ("acme", "acme-corp", "acme_corp", "ACME")


@dataclass
class Answer:
    status: int
    data: bytes


@dataclass
class IndexPool:
    """Indices of documents, searched by an exact keyword term; records each request's signature."""

    indices: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    signed_for: list[str] = field(default_factory=list)
    refreshed: bool = True

    def request(self, method: str, url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
        self.signed_for.append(headers["Authorization"].split("Credential=", 1)[1].split(",", 1)[0])
        path = url.split("://", 1)[1].split("/", 1)[1]
        if path.endswith("/_search"):
            return self._search(path.removesuffix("/_search"), json.loads(body))
        if path == "_bulk" and headers["Content-Type"] == "application/x-ndjson":
            return self._bulk(body)
        return Answer(400, b'{"error": "unsupported by this pool"}')

    def _search(self, pattern: str, body: dict[str, Any]) -> Answer:
        (clause,) = body["query"]["bool"]["filter"]
        ((field_name, value),) = clause.pop("term").items()
        assert not clause, f"only a term filter is understood, got {clause}"
        hits = [
            {"_index": index, "_id": doc_id}
            for index, docs in self.indices.items()
            if fnmatch.fnmatchcase(index, pattern)
            for doc_id, source in docs.items()
            if source.get(field_name) == value
        ]
        page = hits[: body["size"]] if body["size"] else []
        return Answer(200, json.dumps({"hits": {"total": {"value": len(hits)}, "hits": page}}).encode())

    def _bulk(self, body: bytes) -> Answer:
        items = []
        for line in body.decode().splitlines():
            target = json.loads(line)["delete"]
            gone = self.indices.get(target["_index"], {}).pop(target["_id"], None)
            items.append({"delete": {"status": 200 if gone else 404}})
        return Answer(200, json.dumps({"errors": False, "items": items}).encode())


def events_pool() -> IndexPool:
    """Three days of decision events, 3 per tenant a day, in daily indices; and an unrelated index."""
    pool = IndexPool()
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        pool.indices[f"decision-events-{day}"] = {
            f"{tenant}-{day}-{n}": {"tenantId": tenant, "stage": "gate"}
            for tenant in TENANTS
            for n in range(3)
        }
    pool.indices["other-acme"] = {"x": {"tenantId": "acme"}}
    return pool


def eraser(pool: IndexPool, index: str, service: str) -> SearchDocumentsEraser:
    transport = SignedTransport(
        "search-events.eu-west-1.es.amazonaws.com",
        Credentials("AKID", "secret"),
        "eu-west-1",
        pool,
        service=service,
    )
    return SearchDocumentsEraser(transport, index, f"decision events {index}")


def remaining(pool: IndexPool) -> dict[str, int]:
    found: dict[str, int] = {}
    for docs in pool.indices.values():
        for source in docs.values():
            found[source["tenantId"]] = found.get(source["tenantId"], 0) + 1
    return found


def test_erase_decision_events_deletes_the_tenants_in_every_daily_index_only() -> None:
    """acme's nine events go from each day's index; acme-corp, acme_corp and ACME keep theirs, and an
    index outside the pattern is not touched."""
    pool = events_pool()
    report = erase_tenant("acme", [eraser(pool, "decision-events-*", "es")], confirm="acme")
    assert [(r.found, r.erased, r.error) for r in report.results] == [(9, 9, None)]
    assert remaining(pool) == {"acme-corp": 9, "acme_corp": 9, "ACME": 9, "acme": 1}
    assert pool.indices["other-acme"] == {"x": {"tenantId": "acme"}}


def test_erase_search_documents_pages_through_more_than_one_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a page of 4, the eraser searches and deletes until no hit is left."""
    monkeypatch.setattr("governed_assistant.erasure.stores.search.PAGE_SIZE", 4)
    pool = events_pool()
    assert (
        erase_tenant("acme-corp", [eraser(pool, "decision-events-*", "es")], confirm="acme-corp").erased == 9
    )
    assert "acme-corp" not in remaining(pool)


@pytest.mark.parametrize(
    ("service", "scope"), [("es", "/eu-west-1/es/aws4_request"), ("aoss", "/eu-west-1/aoss/aws4_request")]
)
def test_erase_search_documents_signs_for_the_service_it_targets(service: str, scope: str) -> None:
    """The domain's requests are signed for es, a Serverless collection's for aoss."""
    pool = events_pool()
    erase_tenant("acme", [eraser(pool, "decision-events-*", service)], dry_run=True)
    assert pool.signed_for and all(credential.endswith(scope) for credential in pool.signed_for)


def test_erase_search_documents_refused_delete_is_reported_not_hidden() -> None:
    """An item the bulk request could not delete (other than already gone) fails the store."""

    class Refusing(IndexPool):
        def _bulk(self, body: bytes) -> Answer:
            return Answer(200, json.dumps({"errors": True, "items": [{"delete": {"status": 403}}]}).encode())

    pool = Refusing(indices=events_pool().indices)
    report = erase_tenant("acme", [eraser(pool, "decision-events-*", "es")], confirm="acme")
    assert not report.ok and "refused 1 deletes" in (report.results[0].error or "")
