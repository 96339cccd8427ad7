"""OpenSearch Serverless retrieval: a k-NN query wrapped in a bool filter on the tenant field.

Plain SigV4-signed HTTP (botocore's signer, urllib3's pool): no OpenSearch client library.
The tenant term appears twice, both built from the context: inside the k-NN clause (so the
engine filters while it searches and the tenant gets a full page of results) and in the
outer bool filter (so no hit of another tenant can come back, whatever the k-NN clause does).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.retrieval.base import Embedder, RetrievedChunk, checked_limit
from governed_assistant.runtime.retrieval.constants import (
    METADATA_FIELD,
    SOURCE_FIELD,
    TENANT_FIELD,
    TEXT_FIELD,
    VECTOR_FIELD,
)
from governed_assistant.runtime.retrieval.exceptions import CrossTenantResultError, StoreError

SERVICE = "aoss"


class HttpPool(Protocol):
    """The part of ``urllib3.PoolManager`` we use (tests pass one that records the request)."""

    def request(self, method: str, url: str, *, body: bytes, headers: dict[str, str]) -> Any: ...


class SignedTransport:
    """Sends JSON to an OpenSearch endpoint, signed with SigV4 for ``aoss`` (Serverless) or ``es``."""

    def __init__(
        self,
        endpoint: str,
        credentials: Any,
        region: str,
        pool: HttpPool | None = None,
        *,
        service: str = SERVICE,
    ) -> None:
        # A domain's endpoint comes without a scheme (``search-x.es.amazonaws.com``).
        self._endpoint = endpoint.rstrip("/") if "://" in endpoint else f"https://{endpoint.rstrip('/')}"
        self._credentials = credentials
        self._region = region
        self._service = service
        if pool is None:
            import urllib3

            pool = urllib3.PoolManager(retries=urllib3.Retry(total=2, backoff_factor=0.2))
        self._pool = pool

    def send(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        return self.send_bytes(method, path, data, "application/json")

    def send_bytes(self, method: str, path: str, data: bytes, content_type: str) -> tuple[int, Any]:
        """``data`` as it is (``_bulk`` takes newline-delimited JSON), signed; the JSON answer."""
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped]  # botocore ships no hints
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]

        url = f"{self._endpoint}/{path.lstrip('/')}"
        request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": content_type})
        # OpenSearch Serverless wants the payload hash as a header of its own.
        signer = SigV4Auth(self._credentials, self._service, self._region)
        request.headers["X-Amz-Content-SHA256"] = signer.payload(request)
        signer.add_auth(request)
        response = self._pool.request(method, url, body=data, headers=dict(request.headers.items()))
        raw = response.data or b"{}"
        try:
            return int(response.status), json.loads(raw)
        except ValueError as error:
            raise StoreError(
                f"OpenSearch answered with non-JSON, status={response.status}, url={url}"
            ) from error


def tenant_query(
    context: TenantContext,
    vector: list[float],
    limit: int,
    narrow: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The search body: k-NN on ``vector`` inside a bool filter on the context's tenant.

    ``narrow`` (an OpenSearch query clause) joins the filter list: it can only remove hits.
    """
    tenant = {"term": {TENANT_FIELD: context.tenant_id}}
    filters: list[dict[str, Any]] = [tenant]
    if narrow:
        filters.append(dict(narrow))
    return {
        "size": limit,
        "_source": {"includes": [TEXT_FIELD, TENANT_FIELD, SOURCE_FIELD, METADATA_FIELD]},
        "query": {
            "bool": {
                "filter": filters,
                "must": [
                    {
                        "knn": {
                            VECTOR_FIELD: {
                                "vector": vector,
                                "k": limit,
                                "filter": {"bool": {"filter": filters}},
                            }
                        }
                    }
                ],
            }
        },
    }


class OpenSearchRetriever:
    """Embeds the query, then searches one index with the tenant filter built from the context."""

    def __init__(self, transport: SignedTransport, index: str, embedder: Embedder) -> None:
        self._transport = transport
        self._index = index
        self._embedder = embedder

    def retrieve(
        self,
        context: TenantContext,
        query: str,
        *,
        limit: int = 5,
        narrow: Mapping[str, Any] | None = None,
    ) -> list[RetrievedChunk]:
        limit = checked_limit(limit)
        [vector] = self._embedder.embed([query])
        status, answer = self._transport.send(
            "POST", f"{self._index}/_search", tenant_query(context, vector, limit, narrow)
        )
        if status >= 300:
            raise StoreError(
                f"OpenSearch refused the search, status={status}, index={self._index}, answer={answer}"
            )
        return [_chunk(hit, context) for hit in answer.get("hits", {}).get("hits", [])]


def _chunk(hit: dict[str, Any], context: TenantContext) -> RetrievedChunk:
    source = hit.get("_source") or {}
    if source.get(TENANT_FIELD) != context.tenant_id:
        raise CrossTenantResultError(
            f"OpenSearch returned a hit of another tenant, tenant_id={context.tenant_id}, "
            f"hit_tenant={source.get(TENANT_FIELD)}; check the index's {TENANT_FIELD} mapping (keyword)"
        )
    return RetrievedChunk(
        text=str(source.get(TEXT_FIELD, "")),
        source=str(source.get(SOURCE_FIELD) or _metadata_source(source.get(METADATA_FIELD))),
        score=float(hit.get("_score") or 0.0),
    )


def _metadata_source(metadata: Any) -> str:
    # Bedrock stores its metadata as a JSON string; the source URI is one of its keys.
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return "unknown"
    if isinstance(metadata, dict):
        return str(metadata.get("x-amz-bedrock-kb-source-uri", "unknown"))
    return "unknown"


def index_body(dimensions: int) -> dict[str, Any]:
    """The vector index: the fields Bedrock Knowledge Bases write, plus the tenant as a keyword."""
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            "properties": {
                VECTOR_FIELD: {
                    "type": "knn_vector",
                    "dimension": dimensions,
                    "method": {"name": "hnsw", "engine": "faiss", "space_type": "l2"},
                },
                TEXT_FIELD: {"type": "text"},
                METADATA_FIELD: {"type": "text", "index": False},
                TENANT_FIELD: {"type": "keyword"},
                SOURCE_FIELD: {"type": "keyword"},
            }
        },
    }


def ensure_index(transport: SignedTransport, index: str, dimensions: int) -> bool:
    """Creates the index if it is missing; True when it created it."""
    status, _ = transport.send("HEAD", index)
    if status == 200:
        return False
    status, answer = transport.send("PUT", index, index_body(dimensions))
    if status >= 300:
        raise StoreError(
            f"OpenSearch refused to create the index, status={status}, index={index}, answer={answer}"
        )
    return True
