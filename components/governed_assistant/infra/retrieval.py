"""Retrieval stores: where the reasoning layer finds tenant-scoped context (``retrieval.backend``).

- ``knowledge-base``: a Bedrock Knowledge Base over an OpenSearch Serverless vector
  collection, fed from an S3 bucket. Each document ``tenants/<tenant>/<doc>`` has a
  ``<doc>.metadata.json`` sidecar with ``{"metadataAttributes": {"tenantId": "<tenant>"}}``;
  the reason function filters every ``Retrieve`` on ``tenantId``. The reader may only
  ``bedrock:Retrieve`` on this knowledge base.
- ``opensearch``: the vector collection alone; the reader queries it with a ``tenantId``
  filter, and embeds its queries with the embedding model.
- ``pgvector``: ``governed_assistant.infra.pgvector.VectorDatabase``.

Each store has one setup function (``setup_handler``): it creates the vector index in the
collection, or applies the database schema. It runs through ``aws.lambda_.Invocation``
whenever its input changes. A store tells its reader what to allow (``reader_statements``)
and where to look (``environment``); the reasoning layer adds both to the reason function.
"""

from __future__ import annotations

from typing import Any, Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.encryption import key_use
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    allow,
    assume_role_policy,
    governed_function,
    logs_and_tracing,
    physical_name,
    policy_document,
    source_conditions,
)
from governed_assistant.infra.storage import data_options, private_bucket
from governed_assistant.runtime.retrieval.constants import DOCUMENTS_PREFIX
from governed_assistant.wire import (
    ENV_COLLECTION_ENDPOINT,
    ENV_EMBEDDING_DIMENSIONS,
    ENV_EMBEDDING_MODEL_ID,
    ENV_KNOWLEDGE_BASE_ID,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_VECTOR_INDEX,
)

EMBEDDING_MODEL_ID: Final = "amazon.titan-embed-text-v2:0"
EMBEDDING_DIMENSIONS: Final = 1024
VECTOR_INDEX: Final = "governed-vectors"
TENANT_METADATA_KEY: Final = "tenantId"
# The field names Bedrock Knowledge Bases write into the index.
KB_FIELDS: Final = {
    "vector_field": "bedrock-knowledge-base-default-vector",
    "text_field": "AMAZON_BEDROCK_TEXT_CHUNK",
    "metadata_field": "AMAZON_BEDROCK_METADATA",
}
SETUP_TIMEOUT_SECONDS: Final = 300


class RetrievalArgs(TypedDict):
    slug: str
    """The spec's slug: names and tags start with it."""
    retention_days: int
    """Log retention (the spec's ``observability.retention_days``)."""
    reader_role_arn: pulumi.Input[str]
    """The reason function's role: the only principal that reads the store."""
    code: LambdaCode
    """The code the setup function runs."""
    setup_handler: str
    """Creates the vector index, or applies the schema."""
    embedding_model_id: str
    """The Bedrock embedding model, e.g. ``amazon.titan-embed-text-v2:0`` (1024 dimensions)."""
    protect_data: bool
    """Protect the store's data (``storage.data_options``); on for production."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key``): it encrypts the store, its bucket and its setup function."""


class SearchCollectionArgs(RetrievalArgs):
    knowledge_base: bool
    """Put a Bedrock Knowledge Base (and its documents bucket) over the collection."""
    vpc_endpoint_id: NotRequired[pulumi.Input[str] | None]
    """The collection's VPC endpoint (``network: vpc``); None leaves the collection's endpoint public."""


class RetrievalStore(pulumi.ComponentResource):
    """What every store shares: its reader's grants, its setup function, its identifiers."""

    reader_statements: list[dict[str, Any]]
    """What the reader's policy must allow to use this store (plain data holding Outputs)."""
    environment: dict[str, pulumi.Input[str]]
    """What the reader needs to find it (``GOVERNED_*`` variables)."""
    identifiers: pulumi.Output[dict[str, str]]
    """The store's identifiers: knowledge base, collection, bucket, cluster, secrets."""

    def __init__(
        self, type_: str, name: str, args: RetrievalArgs, opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(type_, name, None, opts)
        self._name = name
        self._slug = args["slug"]
        self._base_args = args
        self._stack = pulumi.get_stack()
        self._tags = {"assistant": args["slug"], "layer": "reasoning"}
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke_opts).region
        self._account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        self._partition = aws.get_partition_output(opts=invoke_opts).partition
        self._embedding_arn = pulumi.Output.concat(
            "arn:",
            self._partition,
            ":bedrock:",
            self._region,
            "::foundation-model/",
            args["embedding_model_id"],
        )

    def _finish(self, identifiers: dict[str, pulumi.Input[str]]) -> None:
        self.identifiers = pulumi.Output.all(**identifiers)
        self.register_outputs({"identifiers": self.identifiers})

    def _embed_statement(self) -> dict[str, Any]:
        # Queries are embedded by the reader itself (the knowledge base embeds its own).
        return allow("EmbedQuery", ["bedrock:InvokeModel"], self._embedding_arn)

    def _create_role(self, purpose: str, service: str, **conditions: Any) -> aws.iam.Role:
        return aws.iam.Role(
            f"{self._name}-{purpose}-role",
            name_prefix=physical_name(self._slug, self._stack, f"retrieval-{purpose}", limit=37) + "-",
            assume_role_policy=assume_role_policy(service, **conditions),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_setup_function(
        self, role: aws.iam.Role, statements: list[dict[str, Any]]
    ) -> aws.lambda_.Function:
        settings = FunctionSettings(
            function_name=physical_name(self._slug, self._stack, "retrieval-setup", limit=64),
            handler=self._base_args["setup_handler"],
            code=self._base_args["code"],
            role=role,
            policy_name="governed-retrieval-setup",
            statements=lambda own_logs: [
                *statements,
                *logs_and_tracing(own_logs),
            ],
            environment={ENV_POWERTOOLS_SERVICE_NAME: self._slug},
            timeout=SETUP_TIMEOUT_SECONDS,
            memory_mb=256,
            retention_days=self._base_args["retention_days"],
            kms_key_arn=self._base_args.get("kms_key_arn"),
        )
        function, _ = governed_function(f"{self._name}-setup", settings, parent=self, tags=self._tags)
        return function


def serverless_encryption(scope: list[dict[str, Any]], key_arn: pulumi.Input[str] | None) -> dict[str, Any]:
    """The collection's encryption policy: the stack's key, or an AWS-owned key without one."""
    if key_arn is None:
        return {"Rules": scope, "AWSOwnedKey": True}
    return {"Rules": scope, "AWSOwnedKey": False, "KmsARN": key_arn}


class SearchCollection(RetrievalStore):
    """An OpenSearch Serverless vector collection, with a Bedrock Knowledge Base over it or not."""

    def __init__(
        self, name: str, args: SearchCollectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:reasoning:SearchCollection", name, args, opts)
        self._args = args
        self._finish(self._create_collection(knowledge_base=args["knowledge_base"]))

    def _create_collection(self, *, knowledge_base: bool) -> dict[str, pulumi.Input[str]]:
        collection_name = physical_name(self._slug, self._stack, "vectors", limit=32)
        child = pulumi.ResourceOptions(parent=self)
        scope = [{"ResourceType": "collection", "Resource": [f"collection/{collection_name}"]}]
        encryption = aws.opensearch.ServerlessSecurityPolicy(
            f"{self._name}-encryption",
            name=collection_name,
            type="encryption",
            policy=pulumi.Output.json_dumps(serverless_encryption(scope, self._args.get("kms_key_arn"))),
            opts=child,
        )
        network = aws.opensearch.ServerlessSecurityPolicy(
            f"{self._name}-network",
            name=collection_name,
            type="network",
            policy=pulumi.Output.json_dumps(
                network_rules(scope, self._args.get("vpc_endpoint_id"), knowledge_base=knowledge_base)
            ),
            opts=child,
        )
        collection = aws.opensearch.ServerlessCollection(
            f"{self._name}-vectors",
            name=collection_name,
            type="VECTORSEARCH",
            standby_replicas="ENABLED",
            tags=self._tags,
            opts=data_options(self, protect=self._args["protect_data"], depends_on=[encryption, network]),
        )
        setup_role = self._create_role("setup", "lambda.amazonaws.com")
        principals: dict[str, pulumi.Input[str]] = {
            "reader": self._args["reader_role_arn"],
            "setup": setup_role.arn,
        }
        kb_role = None
        if knowledge_base:
            kb_role = self._create_role(
                "kb",
                "bedrock.amazonaws.com",
                # Any knowledge base of this account, not the one: the knowledge base needs
                # this role's ARN to be created, so naming its ARN here would be a cycle.
                **source_conditions(
                    self._account,
                    pulumi.Output.concat(
                        "arn:", self._partition, ":bedrock:", self._region, ":", self._account,
                        ":knowledge-base/*",
                    ),
                ),
            )  # fmt: skip
            principals["ingest"] = kb_role.arn
        access = aws.opensearch.ServerlessAccessPolicy(
            f"{self._name}-access",
            name=collection_name,
            type="data",
            policy=pulumi.Output.json_dumps(_data_access_rules(collection_name, principals)),
            opts=child,
        )
        api_access = allow("Vectors", ["aoss:APIAccessAll"], collection.arn)
        setup = self._create_setup_function(setup_role, [api_access])
        index = aws.lambda_.Invocation(
            f"{self._name}-index",
            function_name=setup.name,
            input=pulumi.Output.json_dumps(
                {
                    "backend": "opensearch",
                    "endpoint": collection.collection_endpoint,
                    "index": VECTOR_INDEX,
                    "dimensions": EMBEDDING_DIMENSIONS,
                    "tenantField": TENANT_METADATA_KEY,
                    **KB_FIELDS,
                }
            ),
            triggers={"index": f"{VECTOR_INDEX}:{EMBEDDING_DIMENSIONS}", "collection": collection.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
        )
        identifiers: dict[str, pulumi.Input[str]] = {
            "collection_arn": collection.arn,
            "collection_endpoint": collection.collection_endpoint,
            "vector_index": VECTOR_INDEX,
        }
        if kb_role is None:
            self.reader_statements = [api_access, self._embed_statement()]
            self.environment = {
                ENV_COLLECTION_ENDPOINT: collection.collection_endpoint,
                ENV_VECTOR_INDEX: VECTOR_INDEX,
                ENV_EMBEDDING_MODEL_ID: self._args["embedding_model_id"],
                ENV_EMBEDDING_DIMENSIONS: str(EMBEDDING_DIMENSIONS),
            }
            return identifiers
        knowledge_base_resource, bucket, source = self._create_knowledge_base(
            collection, kb_role, [access, index]
        )
        self.reader_statements = [allow("Retrieve", ["bedrock:Retrieve"], knowledge_base_resource.arn)]
        self.environment = {ENV_KNOWLEDGE_BASE_ID: knowledge_base_resource.id}
        return {
            **identifiers,
            "knowledge_base_id": knowledge_base_resource.id,
            "knowledge_base_arn": knowledge_base_resource.arn,
            "documents_bucket": bucket.bucket,
            # Erasure starts this data source's sync once a tenant's documents are deleted.
            "data_source_id": source.data_source_id,
        }

    def _create_knowledge_base(
        self,
        collection: aws.opensearch.ServerlessCollection,
        role: aws.iam.Role,
        ready: list[pulumi.Resource],
    ) -> tuple[aws.bedrock.AgentKnowledgeBase, aws.s3.Bucket, aws.bedrock.AgentDataSource]:
        bucket = private_bucket(
            f"{self._name}-documents",
            prefix=physical_name(self._slug, self._stack, "documents", limit=36) + "-",
            protect=self._args["protect_data"],
            tags=self._tags,
            parent=self,
            key_arn=self._args.get("kms_key_arn"),
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-kb-policy",
            name="governed-knowledge-base",
            role=role.id,
            policy=policy_document(
                [
                    allow("Embed", ["bedrock:InvokeModel"], self._embedding_arn),
                    allow("Vectors", ["aoss:APIAccessAll"], collection.arn),
                    allow("ListDocuments", ["s3:ListBucket"], bucket.arn),
                    allow("ReadDocuments", ["s3:GetObject"], pulumi.Output.concat(bucket.arn, "/*")),
                    # The documents are encrypted with the stack's key when it has one.
                    *key_use(self._args.get("kms_key_arn")),
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        knowledge_base = aws.bedrock.AgentKnowledgeBase(
            f"{self._name}-kb",
            name=physical_name(self._slug, self._stack, "kb", limit=100),
            role_arn=role.arn,
            knowledge_base_configuration=aws.bedrock.AgentKnowledgeBaseKnowledgeBaseConfigurationArgs(
                type="VECTOR",
                vector_knowledge_base_configuration=aws.bedrock.AgentKnowledgeBaseKnowledgeBaseConfigurationVectorKnowledgeBaseConfigurationArgs(
                    embedding_model_arn=self._embedding_arn
                ),
            ),
            storage_configuration=aws.bedrock.AgentKnowledgeBaseStorageConfigurationArgs(
                type="OPENSEARCH_SERVERLESS",
                opensearch_serverless_configuration=aws.bedrock.AgentKnowledgeBaseStorageConfigurationOpensearchServerlessConfigurationArgs(
                    collection_arn=collection.arn,
                    vector_index_name=VECTOR_INDEX,
                    field_mapping=aws.bedrock.AgentKnowledgeBaseStorageConfigurationOpensearchServerlessConfigurationFieldMappingArgs(
                        **KB_FIELDS
                    ),
                ),
            ),
            tags=self._tags,
            # Bedrock checks the index and the role when it creates the knowledge base.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, *ready]),
        )  # fmt: skip
        source = aws.bedrock.AgentDataSource(
            f"{self._name}-source",
            knowledge_base_id=knowledge_base.id,
            name="tenant-documents",
            description=f"{DOCUMENTS_PREFIX}<tenant>/ documents, tagged {TENANT_METADATA_KEY}",
            data_deletion_policy="DELETE",
            data_source_configuration=aws.bedrock.AgentDataSourceDataSourceConfigurationArgs(
                type="S3",
                s3_configuration=aws.bedrock.AgentDataSourceDataSourceConfigurationS3ConfigurationArgs(
                    bucket_arn=bucket.arn, inclusion_prefixes=[DOCUMENTS_PREFIX]
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return knowledge_base, bucket, source


def network_rules(
    scope: list[dict[str, Any]], vpc_endpoint_id: pulumi.Input[str] | None, *, knowledge_base: bool
) -> list[dict[str, Any]]:
    """The collection's network policy: public, or its VPC endpoint alone (and Bedrock, for a KB)."""
    if vpc_endpoint_id is None:
        # Public: every request still needs SigV4 from a principal of the data access policy.
        return [{"Rules": scope, "AllowFromPublic": True}]
    # Private: the VPC endpoint alone, and Bedrock (an AWS service reaching it privately) when a
    # knowledge base reads and ingests through it.
    rule: dict[str, Any] = {"Rules": scope, "AllowFromPublic": False, "SourceVPCEs": [vpc_endpoint_id]}
    if knowledge_base:
        rule["SourceServices"] = ["bedrock.amazonaws.com"]
    return [rule]


def _data_access_rules(collection: str, principals: dict[str, pulumi.Input[str]]) -> list[dict[str, Any]]:
    """OpenSearch Serverless data access: the reader reads, setup creates the index, the KB writes."""
    index = [f"index/{collection}/*"]
    permissions = {
        "reader": (["aoss:ReadDocument", "aoss:DescribeIndex"], ["aoss:DescribeCollectionItems"]),
        "setup": (
            ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:UpdateIndex"],
            ["aoss:DescribeCollectionItems"],
        ),
        "ingest": (
            ["aoss:ReadDocument", "aoss:WriteDocument", "aoss:DescribeIndex", "aoss:UpdateIndex"],
            ["aoss:DescribeCollectionItems", "aoss:CreateCollectionItems", "aoss:UpdateCollectionItems"],
        ),
    }
    return [
        {
            "Description": f"{who} of {collection}",
            "Rules": [
                {"ResourceType": "index", "Resource": index, "Permission": permissions[who][0]},
                {
                    "ResourceType": "collection",
                    "Resource": [f"collection/{collection}"],
                    "Permission": permissions[who][1],
                },
            ],
            "Principal": [principal],
        }
        for who, principal in principals.items()
    ]
