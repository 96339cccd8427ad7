"""OpenSearch documents of a tenant: decision events in the domain, vectors in a collection.

Both hold a ``tenantId`` keyword field (the decision-event index template; the vector index's
mapping), so the tenant's documents are exactly those a ``term`` query on it matches: a keyword
term is compared whole, never as a prefix or a pattern. They are found with ``_search`` (ids and
indices only) and deleted with ``_bulk``, page by page, which OpenSearch Service and OpenSearch
Serverless both accept (Serverless has no ``_delete_by_query``).

Which indices: ``decision-events-*`` in the domain (one a day), or the collection's vector index.
"""

from __future__ import annotations

import json
from typing import Any, Final, Protocol

from governed_assistant.runtime.retrieval.constants import TENANT_FIELD

PAGE_SIZE: Final = 1000
# A search right after a delete may still show the deleted ids until the index refreshes; a
# round that finds nothing new ends the erasure, and this many rounds bound it in any case.
MAX_ROUNDS: Final = 10_000


class Transport(Protocol):
    """What the eraser needs of ``runtime.retrieval.opensearch.SignedTransport``."""

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]: ...

    def send_bytes(self, method: str, path: str, data: bytes, content_type: str) -> tuple[int, Any]: ...


def tenant_filter(tenant_id: str) -> dict[str, Any]:
    """The query every request of the eraser carries: the tenant's keyword term, nothing else."""
    return {"bool": {"filter": [{"term": {TENANT_FIELD: tenant_id}}]}}


class SearchDocumentsEraser:
    """The tenant's documents in ``index`` (a name or a pattern such as ``decision-events-*``)."""

    note = ""

    def __init__(self, transport: Transport, index: str, store: str) -> None:
        self._transport = transport
        self.index = index
        self.store = store

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        # A pattern that matches no index yet answers no hits (allow_no_indices is the default).
        status, answer = self._transport.send("POST", f"{self.index}/_search", body)
        if status >= 300:
            raise RuntimeError(
                f"OpenSearch refused the search, status={status}, index={self.index}, answer={answer}"
            )
        return dict(answer)

    def count(self, tenant_id: str) -> int:
        answer = self._search({"size": 0, "track_total_hits": True, "query": tenant_filter(tenant_id)})
        total = answer.get("hits", {}).get("total", 0)
        return int(total.get("value", 0) if isinstance(total, dict) else total)

    def erase(self, tenant_id: str) -> int:
        deleted: set[tuple[str, str]] = set()
        for _ in range(MAX_ROUNDS):
            answer = self._search({"size": PAGE_SIZE, "_source": False, "query": tenant_filter(tenant_id)})
            hits = [(hit["_index"], hit["_id"]) for hit in answer.get("hits", {}).get("hits", [])]
            fresh = [hit for hit in hits if hit not in deleted]
            if not fresh:
                break
            self._bulk_delete(fresh)
            deleted.update(fresh)
        return len(deleted)

    def _bulk_delete(self, hits: list[tuple[str, str]]) -> None:
        lines = [json.dumps({"delete": {"_index": index, "_id": doc_id}}) for index, doc_id in hits]
        status, answer = self._transport.send_bytes(
            "POST", "_bulk", ("\n".join(lines) + "\n").encode(), "application/x-ndjson"
        )
        if status >= 300:
            raise RuntimeError(f"OpenSearch refused the deletes, status={status}, answer={answer}")
        # A document already gone (404) is what we wanted; any other item error is not.
        failed = [
            item["delete"]
            for item in answer.get("items", [])
            if item.get("delete", {}).get("status", 200) >= 300 and item["delete"].get("status") != 404
        ]
        if failed:
            raise RuntimeError(f"OpenSearch refused {len(failed)} deletes, first={failed[0]}; run again")
