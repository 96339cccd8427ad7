"""OpenSearch retrieval: the signed request body, captured at the HTTP edge."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.credentials import Credentials
from botocore.response import StreamingBody
from botocore.stub import Stubber
from governed_assistant.runtime.retrieval import CrossTenantResultError, EmbeddingError
from governed_assistant.runtime.retrieval.opensearch import OpenSearchRetriever, SignedTransport, ensure_index
from governed_assistant.runtime.retrieval.titan import TitanEmbedder

from tests.retrieval.conftest import aws_client, context

ENDPOINT = "https://abc123.us-east-1.aoss.amazonaws.com"
DIMS = 256


@dataclass
class Response:
    status: int
    data: bytes


@dataclass
class RecordingPool:
    """Stands where urllib3's PoolManager sends bytes: records each request, answers from a queue."""

    answers: list[Response]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def request(self, method: str, url: str, *, body: bytes, headers: dict[str, str]) -> Response:
        self.requests.append({"method": method, "url": url, "body": body, "headers": headers})
        return self.answers.pop(0)


def _hits(*tenants: str) -> Response:
    hits = [
        {
            "_score": 0.9,
            "_source": {"AMAZON_BEDROCK_TEXT_CHUNK": f"text of {t}", "tenantId": t, "source": f"{t}.md"},
        }
        for t in tenants
    ]
    return Response(200, json.dumps({"hits": {"hits": hits}}).encode())


@pytest.fixture
def titan() -> Iterator[tuple[TitanEmbedder, Stubber]]:
    client = aws_client("bedrock-runtime")
    with Stubber(client) as stubber:
        yield TitanEmbedder(client, dimensions=DIMS), stubber
        stubber.assert_no_pending_responses()


def _embedding(stubber: Stubber, text: str, size: int = DIMS) -> list[float]:
    vector = [0.01 * (i % 7) for i in range(size)]
    payload = json.dumps({"embedding": vector, "inputTextTokenCount": 3}).encode()
    stubber.add_response(
        "invoke_model",
        {"body": StreamingBody(io.BytesIO(payload), len(payload)), "contentType": "application/json"},
        {
            "modelId": "amazon.titan-embed-text-v2:0",
            "body": json.dumps({"inputText": text, "dimensions": DIMS, "normalize": True}),
            "contentType": "application/json",
            "accept": "application/json",
        },
    )
    return vector


def _transport(pool: RecordingPool) -> SignedTransport:
    return SignedTransport(ENDPOINT, Credentials("AKIDEXAMPLE", "secret"), "us-east-1", pool=pool)


def test_search_body_wraps_knn_in_tenant_bool_filter(titan: tuple[TitanEmbedder, Stubber]) -> None:
    """The body sent is a k-NN query inside a bool filter on tenantId, signed for aoss."""
    embedder, stubber = titan
    vector = _embedding(stubber, "refund policy")
    pool = RecordingPool([_hits("acme")])
    chunks = OpenSearchRetriever(_transport(pool), "governed-vectors", embedder).retrieve(
        context("acme"), "refund policy", limit=4
    )
    [sent] = pool.requests
    assert (sent["method"], sent["url"]) == ("POST", f"{ENDPOINT}/governed-vectors/_search")
    body = json.loads(sent["body"])
    tenant = {"term": {"tenantId": "acme"}}
    assert body["query"]["bool"]["filter"] == [tenant]
    knn = body["query"]["bool"]["must"][0]["knn"]["bedrock-knowledge-base-default-vector"]
    assert knn == {"vector": vector, "k": 4, "filter": {"bool": {"filter": [tenant]}}}
    assert body["size"] == 4
    assert "/aoss/aws4_request" in sent["headers"]["Authorization"]
    assert sent["headers"]["X-Amz-Content-SHA256"] != "UNSIGNED-PAYLOAD"
    assert [(c.text, c.source) for c in chunks] == [("text of acme", "acme.md")]


def test_search_caller_filter_joins_tenant_filter(titan: tuple[TitanEmbedder, Stubber]) -> None:
    """A caller's clause naming another tenant is added beside the tenant term, not instead of it."""
    embedder, stubber = titan
    _embedding(stubber, "q")
    pool = RecordingPool([_hits()])
    narrow = {"bool": {"should": [{"term": {"tenantId": "globex"}}, {"match_all": {}}]}}
    OpenSearchRetriever(_transport(pool), "idx", embedder).retrieve(context("acme"), "q", narrow=narrow)
    filters = json.loads(pool.requests[0]["body"])["query"]["bool"]["filter"]
    assert filters == [{"term": {"tenantId": "acme"}}, narrow]


def test_search_hit_of_other_tenant_raises(titan: tuple[TitanEmbedder, Stubber]) -> None:
    """A hit whose tenantId is not the context's stops the answer."""
    embedder, stubber = titan
    _embedding(stubber, "q")
    pool = RecordingPool([_hits("acme", "globex")])
    with pytest.raises(CrossTenantResultError, match="hit_tenant=globex"):
        OpenSearchRetriever(_transport(pool), "idx", embedder).retrieve(context("acme"), "q")


def test_titan_wrong_size_raises(titan: tuple[TitanEmbedder, Stubber]) -> None:
    """An embedding of the wrong size is an error that names both sizes."""
    embedder, stubber = titan
    _embedding(stubber, "q", size=DIMS + 1)
    with pytest.raises(EmbeddingError, match=f"size={DIMS + 1}, expected={DIMS}"):
        embedder.embed(["q"])


def test_titan_unsupported_dimensions_raises() -> None:
    """Titan V2 has no 384-dimension output; asking for it fails at construction with the sizes it has."""
    with pytest.raises(EmbeddingError, match="256, 512, 1024"):
        TitanEmbedder(object(), dimensions=384)


def test_ensure_index_creates_mapping_with_keyword_tenant() -> None:
    """A missing index is created with the vector size and tenantId as a keyword; an existing one is kept."""
    pool = RecordingPool([Response(404, b""), Response(200, b'{"acknowledged": true}'), Response(200, b"")])
    assert ensure_index(_transport(pool), "governed-vectors", 1024) is True
    put = json.loads(pool.requests[1]["body"])["mappings"]["properties"]
    assert put["tenantId"] == {"type": "keyword"}
    assert put["bedrock-knowledge-base-default-vector"]["dimension"] == 1024
    assert ensure_index(_transport(pool), "governed-vectors", 1024) is False
