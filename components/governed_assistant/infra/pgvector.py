"""``VectorDatabase``: the ``pgvector`` retrieval store, Aurora Serverless v2 (PostgreSQL).

The Data API (``rds-data``) serves every query over HTTPS, authorized by IAM and a
Secrets Manager secret, so no function needs a VPC. With ``network: vpc`` the cluster is in the
private network's subnet group and security group, and the functions still query it through the
Data API (its interface endpoint, ``rds-data``). Tenant isolation is row-level security,
which the table owner bypasses: the migration function (the store's setup function) applies
the schema as the owner, whose password RDS manages in Secrets Manager, and sets the
password of ``governed_reader``, the RLS-bound role, into a secret of its own. That reader
secret is the only one the reason function may read. The migration runs again whenever the
schema's SQL changes (its SHA-256 is in the invocation's input and triggers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.functions import (
    allow,
    physical_name,
)
from governed_assistant.infra.retrieval import EMBEDDING_DIMENSIONS, RetrievalArgs, RetrievalStore
from governed_assistant.infra.storage import data_options
from governed_assistant.wire import (
    ENV_DB_CLUSTER_ARN,
    ENV_DB_NAME,
    ENV_DB_SECRET_ARN,
    ENV_EMBEDDING_DIMENSIONS,
    ENV_EMBEDDING_MODEL_ID,
)

POSTGRES_VERSION: Final = "16.6"
DB_MASTER_USER: Final = "governed_admin"
DB_READER_ROLE: Final = "governed_reader"
BACKUP_RETENTION_DAYS: Final = 7
# The Data API calls a migration makes (statements, batches, transactions).
DATA_API_MIGRATION_ACTIONS: Final = (
    "rds-data:ExecuteStatement",
    "rds-data:BatchExecuteStatement",
    "rds-data:BeginTransaction",
    "rds-data:CommitTransaction",
    "rds-data:RollbackTransaction",
)
# The reader sets the tenant and queries inside one transaction (row-level security).
DATA_API_READER_ACTIONS: Final = (
    "rds-data:ExecuteStatement",
    "rds-data:BeginTransaction",
    "rds-data:CommitTransaction",
    "rds-data:RollbackTransaction",
)


class VectorDatabaseError(GovernanceError):
    """When the database cannot be read the way the migration and the reader need."""


class DatabaseSize(TypedDict):
    """Aurora Serverless v2 capacity, in ACUs (2 GiB of memory each)."""

    min_capacity: float
    """The floor; 0 lets an idle dev database pause (the first query then waits for it to resume)."""
    max_capacity: float
    """The ceiling the cluster scales to under load."""


class VectorDatabaseArgs(RetrievalArgs):
    schema_sql: str
    """The row-level-security schema the migration applies (it re-runs when this changes)."""
    database: DatabaseSize
    """The cluster's capacity."""
    db_subnet_group_name: pulumi.Input[str] | None
    """The cluster's subnets; None uses the default VPC's."""
    db_security_group_ids: NotRequired[Sequence[pulumi.Input[str]] | None]
    """The cluster's security groups (``network: vpc``); None uses the VPC's default group."""


class VectorDatabase(RetrievalStore):
    """Aurora PostgreSQL with pgvector, its schema applied, read through a row-level-security role."""

    def __init__(
        self, name: str, args: VectorDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:reasoning:VectorDatabase", name, args, opts)
        self._args = args
        self._finish(self._create_database())

    def _create_database(self) -> dict[str, pulumi.Input[str]]:
        args = self._args
        schema_sql = args["schema_sql"]
        protect = args["protect_data"]
        key_arn = args.get("kms_key_arn")
        cluster_id = physical_name(self._slug, self._stack, "vectors", limit=63)
        child = pulumi.ResourceOptions(parent=self)
        # Created here, so the PostgreSQL log keeps the spec's retention rather than forever.
        aws.cloudwatch.LogGroup(
            f"{self._name}-postgresql-logs",
            name=f"/aws/rds/cluster/{cluster_id}/postgresql",
            retention_in_days=args["retention_days"],
            kms_key_id=key_arn,
            tags=self._tags,
            opts=child,
        )
        cluster = aws.rds.Cluster(
            f"{self._name}-database",
            cluster_identifier=cluster_id,
            engine="aurora-postgresql",
            engine_mode="provisioned",
            engine_version=POSTGRES_VERSION,
            database_name=self._slug,
            master_username=DB_MASTER_USER,
            manage_master_user_password=True,
            # The stack's key, when it has one, for the data, its snapshots and the owner's secret.
            master_user_secret_kms_key_id=key_arn,
            storage_encrypted=True,
            kms_key_id=key_arn,
            # The Data API: functions query over HTTPS with IAM and a secret, outside any VPC.
            enable_http_endpoint=True,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=args["database"]["min_capacity"], max_capacity=args["database"]["max_capacity"]
            ),
            db_subnet_group_name=args["db_subnet_group_name"],
            vpc_security_group_ids=args.get("db_security_group_ids"),
            backup_retention_period=BACKUP_RETENTION_DAYS,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            deletion_protection=protect,
            skip_final_snapshot=not protect,
            final_snapshot_identifier=f"{cluster_id}-final" if protect else None,
            tags=self._tags,
            opts=data_options(self, protect=protect),
        )
        instance = aws.rds.ClusterInstance(
            f"{self._name}-database-writer",
            # Named explicitly: Pulumi's auto-name (the logical name, hence the slug with its
            # underscores, plus 8 characters) breaks RDS's 63 letters, digits and hyphens.
            identifier=physical_name(self._slug, self._stack, "vectors-writer", limit=63),
            cluster_identifier=cluster.id,
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            engine_version=cluster.engine_version,
            instance_class="db.serverless",
            tags=self._tags,
            opts=child,
        )
        master_secret_arn = cluster.master_user_secrets.apply(_owner_secret_arn)
        reader_secret = aws.secretsmanager.Secret(
            f"{self._name}-reader-secret",
            name_prefix=f"governed/{physical_name(self._slug, self._stack, limit=64)}/reader-",
            description=f"Credentials of {DB_READER_ROLE}, the RLS-bound role the reason function uses.",
            recovery_window_in_days=0 if not protect else 30,
            kms_key_id=key_arn,
            tags=self._tags,
            opts=child,
        )
        migrate = self._create_setup_function(
            self._create_role("setup", "lambda.amazonaws.com"),
            [
                allow("DataApi", DATA_API_MIGRATION_ACTIONS, cluster.arn),
                allow("OwnerSecret", ["secretsmanager:GetSecretValue"], master_secret_arn),
                allow("ReaderSecret", ["secretsmanager:PutSecretValue"], reader_secret.arn),
            ],
        )
        digest = hashlib.sha256(schema_sql.encode()).hexdigest()
        aws.lambda_.Invocation(
            f"{self._name}-migration",
            function_name=migrate.name,
            input=pulumi.Output.json_dumps(
                {
                    "backend": "pgvector",
                    "clusterArn": cluster.arn,
                    "secretArn": master_secret_arn,
                    "database": self._slug,
                    "sql": schema_sql,
                    "sqlSha256": digest,
                    "dimensions": EMBEDDING_DIMENSIONS,
                    "readerRole": DB_READER_ROLE,
                    "readerSecretArn": reader_secret.arn,
                }
            ),
            # Applies again whenever the schema (or the cluster) changes.
            triggers={"schema": digest, "cluster": cluster.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[instance]),
        )
        self.reader_statements = [
            # SET LOCAL app.tenant_id and the query share one Data API transaction.
            allow("QueryVectors", list(DATA_API_READER_ACTIONS), cluster.arn),
            allow("ReaderSecret", ["secretsmanager:GetSecretValue"], reader_secret.arn),
            self._embed_statement(),
        ]
        self.environment = {
            ENV_DB_CLUSTER_ARN: cluster.arn,
            ENV_DB_SECRET_ARN: reader_secret.arn,
            ENV_DB_NAME: self._slug,
            ENV_EMBEDDING_MODEL_ID: args["embedding_model_id"],
            ENV_EMBEDDING_DIMENSIONS: str(EMBEDDING_DIMENSIONS),
        }
        return {
            "cluster_arn": cluster.arn,
            "database": self._slug,
            "reader_secret_arn": reader_secret.arn,
            "master_secret_arn": master_secret_arn,
        }


def _owner_secret_arn(secrets: Sequence[aws.rds.outputs.ClusterMasterUserSecret] | None) -> str:
    """The secret RDS manages for the owner (``manage_master_user_password``)."""
    arn = secrets[0].secret_arn if secrets else None
    if not arn:
        raise VectorDatabaseError(
            f"the cluster reports no managed owner secret, master_user_secrets={secrets!r}; "
            "keep manage_master_user_password=True on the cluster"
        )
    return arn
