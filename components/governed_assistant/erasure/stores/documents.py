"""The knowledge base's documents in S3, every version, and the sync that drops their vectors.

The documents bucket is versioned (``infra.storage.private_bucket``) and keeps every version:
a plain ``DeleteObject`` would only add a delete marker and keep the document. So every version
and every delete marker under ``tenants/<tenant>/`` (the trailing ``/`` keeps ``acme`` out of
``acme-corp/``) is deleted by version id, which removes it for good.

The knowledge base's vectors of those documents live in its OpenSearch Serverless index. Bedrock
drops a deleted document's vectors on the data source's next sync, so after the documents go an
ingestion job is started; the vectors are gone when it completes (``aws bedrock-agent
get-ingestion-job`` shows it).
"""

from __future__ import annotations

from typing import Any, Final

from governed_assistant.runtime.retrieval.constants import DOCUMENTS_PREFIX

DELETE_OBJECTS_LIMIT: Final = 1000


def tenant_prefix(tenant_id: str) -> str:
    """``tenants/<tenant>/``: the tenant's folder, ``/`` included, so no other tenant's starts with it."""
    return f"{DOCUMENTS_PREFIX}{tenant_id}/"


class DocumentsEraser:
    """Every version and delete marker under the tenant's prefix of a (versioned) bucket."""

    note = "every version and delete marker: nothing left to restore"

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self.store = f"documents bucket {bucket}"

    def versions(self, tenant_id: str) -> list[dict[str, str]]:
        prefix = tenant_prefix(tenant_id)
        found = []
        for page in self._client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"].startswith(prefix):
                    found.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        return found

    def count(self, tenant_id: str) -> int:
        return len(self.versions(tenant_id))

    def erase(self, tenant_id: str) -> int:
        versions = self.versions(tenant_id)
        for start in range(0, len(versions), DELETE_OBJECTS_LIMIT):
            batch = versions[start : start + DELETE_OBJECTS_LIMIT]
            response = self._client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise RuntimeError(
                    f"S3 refused {len(errors)} deletes, bucket={self.bucket}, key={first.get('Key')}, "
                    f"code={first.get('Code')}; run again"
                )
        return len(versions)


class KnowledgeBaseSync:
    """Starts the data source's ingestion job, which drops the vectors of the deleted documents."""

    def __init__(self, client: Any, knowledge_base_id: str, data_source_id: str) -> None:
        self._client = client
        self.knowledge_base_id = knowledge_base_id
        self.data_source_id = data_source_id
        self.store = f"knowledge base {knowledge_base_id} vectors"
        self.note = "a sync (ingestion job) drops the vectors of the deleted documents"

    def count(self, tenant_id: str) -> int:
        # The vectors sit in the collection's index, which only the knowledge base writes: the
        # documents' count above is what the sync will drop.
        return 0

    def erase(self, tenant_id: str) -> int:
        job = self._client.start_ingestion_job(
            knowledgeBaseId=self.knowledge_base_id,
            dataSourceId=self.data_source_id,
            description=f"erasure of tenant {tenant_id}",
        )["ingestionJob"]
        self.note = (
            f"ingestion job {job['ingestionJobId']} started: the vectors are gone when it completes "
            f"(aws bedrock-agent get-ingestion-job --knowledge-base-id {self.knowledge_base_id} "
            f"--data-source-id {self.data_source_id} --ingestion-job-id {job['ingestionJobId']})"
        )
        return 0
