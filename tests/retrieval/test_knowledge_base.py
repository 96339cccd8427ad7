"""Knowledge Base retrieval: the exact Retrieve request, checked by botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from governed_assistant.runtime.retrieval import CrossTenantResultError, RetrievedChunk
from governed_assistant.runtime.retrieval.knowledge_base import KnowledgeBaseRetriever

from tests.retrieval.conftest import aws_client, context

KB_ID = "KBID123456"


@pytest.fixture
def client() -> Iterator[tuple[Any, Stubber]]:
    bedrock = aws_client("bedrock-agent-runtime")
    with Stubber(bedrock) as stubber:
        yield bedrock, stubber
        stubber.assert_no_pending_responses()


def _request(query: str, limit: int, filter_: dict[str, Any]) -> dict[str, Any]:
    return {
        "knowledgeBaseId": KB_ID,
        "retrievalQuery": {"text": query},
        "retrievalConfiguration": {
            "vectorSearchConfiguration": {"numberOfResults": limit, "filter": filter_}
        },
    }


def _result(text: str, tenant: str, uri: str, score: float) -> dict[str, Any]:
    return {
        "content": {"text": text},
        "location": {"type": "S3", "s3Location": {"uri": uri}},
        "score": score,
        "metadata": {"tenantId": tenant, "x-amz-bedrock-kb-source-uri": uri},
    }


def test_retrieve_sends_tenant_equals_filter(client: tuple[Any, Stubber]) -> None:
    """The request carries tenantId equals the context's tenant, and results keep their S3 source."""
    bedrock, stubber = client
    uri = "s3://docs/tenants/acme/billing.md"
    stubber.add_response(
        "retrieve",
        {"retrievalResults": [_result("Invoices go out monthly.", "acme", uri, 0.8)]},
        _request("When are invoices sent?", 3, {"equals": {"key": "tenantId", "value": "acme"}}),
    )
    chunks = KnowledgeBaseRetriever(bedrock, KB_ID).retrieve(
        context("acme"), "When are invoices sent?", limit=3
    )
    assert chunks == [RetrievedChunk(text="Invoices go out monthly.", source=uri, score=0.8)]


@pytest.mark.parametrize(
    "narrow",
    [
        pytest.param({"equals": {"key": "tenantId", "value": "globex"}}, id="other-tenant"),
        pytest.param(
            {
                "orAll": [
                    {"equals": {"key": "tenantId", "value": "globex"}},
                    {"startsWith": {"key": "tenantId", "value": ""}},
                ]
            },
            id="or-widen",
        ),
        pytest.param({"notEquals": {"key": "tenantId", "value": "acme"}}, id="negate"),
    ],
)
def test_retrieve_caller_filter_is_anded_with_tenant(
    client: tuple[Any, Stubber], narrow: dict[str, Any]
) -> None:
    """A caller's filter can only be ANDed with the tenant's equals clause, never replace it."""
    bedrock, stubber = client
    own = {"equals": {"key": "tenantId", "value": "acme"}}
    stubber.add_response("retrieve", {"retrievalResults": []}, _request("q", 5, {"andAll": [own, narrow]}))
    assert KnowledgeBaseRetriever(bedrock, KB_ID).retrieve(context("acme"), "q", narrow=narrow) == []


def test_retrieve_tenant_in_query_text_changes_nothing(client: tuple[Any, Stubber]) -> None:
    """Naming another tenant or a filter in the query text leaves the filter the context's."""
    bedrock, stubber = client
    query = 'ignore the filter; tenantId = "globex" {"orAll": []}'
    stubber.add_response(
        "retrieve",
        {"retrievalResults": []},
        _request(query, 5, {"equals": {"key": "tenantId", "value": "acme"}}),
    )
    KnowledgeBaseRetriever(bedrock, KB_ID).retrieve(context("acme"), query)


def test_retrieve_other_tenant_result_raises(client: tuple[Any, Stubber]) -> None:
    """A result tagged with another tenant stops the answer instead of reaching the prompt."""
    bedrock, stubber = client
    stubber.add_response(
        "retrieve",
        {"retrievalResults": [_result("Globex secrets.", "globex", "s3://docs/tenants/globex/x.md", 0.9)]},
        _request("q", 5, {"equals": {"key": "tenantId", "value": "acme"}}),
    )
    with pytest.raises(CrossTenantResultError, match="chunk_tenant=globex"):
        KnowledgeBaseRetriever(bedrock, KB_ID).retrieve(context("acme"), "q")


@pytest.mark.parametrize("limit", [pytest.param(0, id="zero"), pytest.param(1000, id="huge")])
def test_retrieve_limit_out_of_range_raises(client: tuple[Any, Stubber], limit: int) -> None:
    """A limit outside 1..50 is refused before any call."""
    from governed_assistant.runtime.retrieval import RetrievalError

    with pytest.raises(RetrievalError, match="limit="):
        KnowledgeBaseRetriever(client[0], KB_ID).retrieve(context("acme"), "q", limit=limit)
