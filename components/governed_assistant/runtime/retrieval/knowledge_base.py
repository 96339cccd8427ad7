"""Knowledge Base retrieval: Bedrock ``Retrieve`` with a ``tenantId`` metadata filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.retrieval.base import RetrievedChunk, checked_limit
from governed_assistant.runtime.retrieval.constants import KB_SOURCE_URI_KEY, TENANT_FIELD
from governed_assistant.runtime.retrieval.exceptions import CrossTenantResultError, StoreError


def tenant_filter(context: TenantContext, narrow: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The Retrieve filter: ``tenantId`` equals the context's tenant, ANDed with ``narrow`` if given.

    ``narrow`` can only take results away: whatever it says, a chunk must also match the tenant.
    """
    own = {"equals": {"key": TENANT_FIELD, "value": context.tenant_id}}
    if not narrow:
        return own
    return {"andAll": [own, dict(narrow)]}


class KnowledgeBaseRetriever:
    """Retrieves from one Bedrock Knowledge Base; the tenant comes from the context alone."""

    def __init__(self, bedrock_agent_runtime: Any, knowledge_base_id: str) -> None:
        self._client = bedrock_agent_runtime
        self._kb = knowledge_base_id

    def retrieve(
        self,
        context: TenantContext,
        query: str,
        *,
        limit: int = 5,
        narrow: Mapping[str, Any] | None = None,
    ) -> list[RetrievedChunk]:
        response = self._client.retrieve(
            knowledgeBaseId=self._kb,
            retrievalQuery={"text": query},
            retrievalConfiguration={
                "vectorSearchConfiguration": {
                    "numberOfResults": checked_limit(limit),
                    "filter": tenant_filter(context, narrow),
                }
            },
        )
        return [_chunk(result, context) for result in response.get("retrievalResults", [])]


def _chunk(result: dict[str, Any], context: TenantContext) -> RetrievedChunk:
    metadata = result.get("metadata") or {}
    # The filter already scopes the search; a chunk tagged with another tenant means the
    # index or the filter is wrong, and nothing from the answer may reach the prompt.
    tagged = metadata.get(TENANT_FIELD)
    if tagged is not None and tagged != context.tenant_id:
        raise CrossTenantResultError(
            f"the knowledge base returned a chunk of another tenant, tenant_id={context.tenant_id}, "
            f"chunk_tenant={tagged}; check the documents' {TENANT_FIELD} metadata sidecars"
        )
    text = (result.get("content") or {}).get("text")
    if not isinstance(text, str):
        raise StoreError(f"a Retrieve result has no content.text, result_keys={sorted(result)}")
    return RetrievedChunk(text=text, source=_source(result, metadata), score=float(result.get("score", 0.0)))


def _source(result: dict[str, Any], metadata: dict[str, Any]) -> str:
    location = result.get("location") or {}
    for value in location.values():
        if isinstance(value, dict):
            for key in ("uri", "url"):
                if isinstance(value.get(key), str):
                    return str(value[key])
    return str(metadata.get(KB_SOURCE_URI_KEY, "unknown"))
