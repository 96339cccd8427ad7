"""``ObservabilityLayer``: the decision trace, its store, the alarms and the dashboard.

Every stage writes its ``DecisionEvent`` as one JSON line to its function's log group
(``governed_assistant.contracts.DecisionEvent``, serialized by alias). With
``observability.opensearch`` on, a subscription filter on each of those groups forwards the
events to Firehose, whose transformation Lambda unpacks CloudWatch Logs' envelopes and
drops anything that is not a ``DecisionEvent``; Firehose indexes them into OpenSearch
(failed documents to an S3 bucket). With it off, Firehose and OpenSearch are skipped and the
events stay in those log groups, queried by the saved "decision chain" Logs Insights query.

Emitting to the log, not to Firehose, means no step function needs a Firehose permission,
no request waits on a PutRecord, and the layers can be built in order (this one watches the
others' functions and state machine) without a dependency cycle.

The index template and the ISM lifecycle policy are applied on every deploy that changes
them, by a setup function invoked through ``aws.lambda_.Invocation``. The domain uses
fine-grained access control with an IAM master user; the setup function assumes that
role (its trust policy must allow ``setup_role_arn``) to apply the documents and map the
Firehose role to a write-only role. OpenSearch Service takes automated hourly snapshots.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, NotRequired, TypedDict, get_args

import pulumi
import pulumi_aws as aws

from governed_assistant.contracts import Stage
from governed_assistant.infra.execution import check_archive
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    assume_role_policy,
    governed_function,
    logs_and_tracing,
    physical_name,
    policy_document,
)
from governed_assistant.infra.storage import private_bucket
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    DIMENSION_SERVICE,
    DIMENSION_STAGE,
    ENV_POWERTOOLS_SERVICE_NAME,
    METRIC_BREAKER_OPEN,
    METRIC_GUARDRAIL_BLOCKED,
    METRIC_STAGE_LATENCY,
)

INDEX_PREFIX: Final = "decision-events"
INDEX_PATTERN: Final = f"{INDEX_PREFIX}-*"
ISM_POLICY_ID: Final = "decision-events-lifecycle"
WRITER_ROLE: Final = "decision_events_writer"
OPENSEARCH_ENGINE: Final = "OpenSearch_2.19"
# TLS 1.2 or later on the domain's endpoint.
TLS_POLICY: Final = "Policy-Min-TLS-1-2-2019-07"
# Decision events are JSON log lines carrying a schema version; nothing else is forwarded.
DECISION_EVENT_FILTER: Final = "{ $.schemaVersion >= 1 }"

# A handful of blocks is the guardrail doing its job; a burst is an attack or a broken prompt.
GUARDRAIL_BLOCK_THRESHOLD: Final = 10
ALARM_PERIOD_SECONDS: Final = 300

STAGES: Final[tuple[str, ...]] = get_args(Stage)

# The alarms AppConfig watches while it rolls out a flags change (rolling back when one fires):
# what a bad flag (shadow mode off too early, a wrong canary) would set off.
ROLLBACK_ALARMS: Final[tuple[str, ...]] = ("api-5xx", "executions-failed", "breaker-open")


def delivery_stream_name(slug: str, stack: str) -> str:
    """The Firehose stream's physical name: fixed by slug and stack, so other layers may name it
    (and grant ``firehose:PutRecordBatch`` on it) before this layer is built."""
    return physical_name(slug, stack, "decisions", limit=64)


def alarm_name(slug: str, stack: str, purpose: str) -> str:
    """An alarm's physical name: fixed, so the rollout layer can watch it before it exists."""
    return physical_name(slug, stack, purpose, limit=255)


def decision_index_template(replicas: int) -> dict[str, Any]:
    """The composable index template for the daily ``decision-events-YYYY-MM-DD`` indices.

    Field names follow ``DecisionEvent``'s wire form: camelCase, and OpenTelemetry GenAI names
    (``gen_ai.request.model``...), which OpenSearch stores as object paths.
    """
    keyword = {"type": "keyword"}
    return {
        "index_patterns": [INDEX_PATTERN],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": replicas},
            "mappings": {
                # Unknown fields are kept in _source but not indexed: a new field never fails delivery.
                "dynamic": False,
                "properties": {
                    "eventId": keyword,
                    "schemaVersion": {"type": "integer"},
                    "jobId": keyword,
                    "tenantId": keyword,
                    "userId": keyword,
                    "stage": keyword,
                    "outcome": keyword,
                    "latencyMs": {"type": "float"},
                    "gen_ai": {
                        "properties": {
                            "request": {"properties": {"model": keyword}},
                            "usage": {
                                "properties": {
                                    "input_tokens": {"type": "long"},
                                    "output_tokens": {"type": "long"},
                                }
                            },
                        }
                    },
                    # Free-form per stage; flat_object indexes its leaves without a mapping explosion.
                    "details": {"type": "flat_object"},
                    "timestamp": {"type": "date"},
                },
            },
        },
    }


def ism_policy(retention_days: int) -> dict[str, Any]:
    """The Index State Management policy: hot, then deleted once ``retention_days`` old."""
    return {
        "policy": {
            "description": f"Decision events: hot, deleted after {retention_days} days.",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [INDEX_PATTERN], "priority": 100}],
        }
    }


def writer_role() -> dict[str, Any]:
    """The OpenSearch security role Firehose's IAM role is mapped to: write decision events, nothing else."""
    return {
        "cluster_permissions": ["cluster_composite_ops", "cluster_monitor"],
        "index_permissions": [
            {"index_patterns": [INDEX_PATTERN], "allowed_actions": ["create_index", "manage", "crud"]}
        ],
    }


class DomainSize(TypedDict):
    """The OpenSearch domain's capacity; small for dev, replicated across zones for production."""

    instance_type: str
    """Data node instance type, e.g. ``t3.medium.search`` (dev) or ``r7g.large.search``."""
    instance_count: int
    """Data nodes; two or more spreads them over two zones and keeps a replica of every shard."""
    volume_gb: int
    """gp3 storage per data node, in GiB."""


class ObservabilityLayerArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: ``observability.opensearch`` and ``retention_days`` come from it."""
    code: LambdaCode
    """The code and dependencies layer the transformation and setup functions run."""
    transform_handler: str
    """The Firehose transformation handler (CloudWatch Logs envelope in, ``DecisionEvent`` records out)."""
    setup_handler: str
    """The handler that applies the index template, ISM policy and role mapping (the Invocation's input)."""
    master_user_arn: NotRequired[pulumi.Input[str]]
    """IAM role that is the OpenSearch master user; it must trust ``setup_role_arn`` to assume it.
    Without it the layer creates one that trusts the setup function's role alone."""
    domain: DomainSize
    """The OpenSearch domain's capacity."""
    metrics_namespace: str
    """The CloudWatch namespace of the runtime's custom metrics (guardrail blocks, breaker, latency)."""
    event_log_group_names: Sequence[pulumi.Input[str]]
    """Log groups whose JSON lines carry decision events (every layer's functions)."""
    function_names: Sequence[pulumi.Input[str]]
    """Functions watched for throttling (one alarm each)."""
    state_machine_arn: pulumi.Input[str]
    """The job state machine, watched for failed executions."""
    api_id: pulumi.Input[str]
    """The HTTP API (API Gateway v2) watched for 5xx responses."""
    alarm_actions: Sequence[pulumi.Input[str]]
    """Where alarms notify (SNS topic ARNs encrypted with a key CloudWatch may use); may be empty."""
    protect_data: bool
    """Refuse to delete the domain and the failed-events bucket on ``pulumi destroy``."""


class ObservabilityLayer(pulumi.ComponentResource):
    delivery_stream_name: pulumi.Output[str | None]
    """The Firehose stream decision events flow through; None when OpenSearch is off."""
    domain_endpoint: pulumi.Output[str | None]
    """The OpenSearch domain's HTTPS endpoint; None when OpenSearch is off."""
    setup_role_arn: pulumi.Output[str | None]
    """The role the master user's trust policy must allow; None when OpenSearch is off."""
    master_user_arn: pulumi.Output[str | None]
    """The domain's master user (given, or created here); None when OpenSearch is off."""
    dashboard_url: pulumi.Output[str]
    """The CloudWatch dashboard (latency by stage, tokens by tenant, jobs, alarms)."""
    alarm_arns: pulumi.Output[list[str]]
    """Every alarm this layer created."""

    def __init__(
        self, name: str, args: ObservabilityLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:observability:ObservabilityLayer", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._stack = pulumi.get_stack()
        self._tags = {"assistant": self._spec.slug, "layer": "observability"}
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke_opts).region
        self._partition = aws.get_partition_output(opts=invoke_opts).partition
        self._account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        check_archive(args["code"]["archive"], f"{name} observability functions")

        delivery_stream_name: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        domain_endpoint: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        setup_role_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        master_user_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if self._spec.observability.opensearch:
            stream, domain, setup_role, master = self._create_search_pipeline(args)
            delivery_stream_name = stream.name
            domain_endpoint = domain.endpoint
            setup_role_arn = setup_role.arn
            master_user_arn = pulumi.Output.from_input(master)
        self._create_decision_chain_query(args["event_log_group_names"])
        alarms = self._create_alarms(args)
        dashboard = self._create_dashboard(args, alarms)

        self.delivery_stream_name = delivery_stream_name
        self.domain_endpoint = domain_endpoint
        self.setup_role_arn = setup_role_arn
        self.master_user_arn = master_user_arn
        self.dashboard_url = pulumi.Output.concat(
            "https://", self._region, ".console.aws.amazon.com/cloudwatch/home?region=", self._region,
            "#dashboards/dashboard/", dashboard.dashboard_name,
        )  # fmt: skip
        self.alarm_arns = pulumi.Output.all(*(alarm.arn for alarm in alarms))
        self.register_outputs(
            {
                "delivery_stream_name": self.delivery_stream_name,
                "domain_endpoint": self.domain_endpoint,
                "setup_role_arn": self.setup_role_arn,
                "master_user_arn": self.master_user_arn,
                "dashboard_url": self.dashboard_url,
                "alarm_arns": self.alarm_arns,
            }
        )

    # ------------------------------------------------------------------ the search pipeline

    def _create_search_pipeline(
        self, args: ObservabilityLayerArgs
    ) -> tuple[aws.kinesis.FirehoseDeliveryStream, aws.opensearch.Domain, aws.iam.Role, pulumi.Input[str]]:
        retention = self._spec.observability.retention_days
        bucket = self._create_failed_events_bucket(args["protect_data"])
        # The transformation puts an envelope's further events back on its own stream (one
        # document per record for OpenSearch); the ARN is built from the stream's fixed name,
        # since the stream is created after (and from) the function.
        own_stream = pulumi.Output.concat(
            "arn:", self._partition, ":firehose:", self._region, ":", self._account, ":deliverystream/",
            delivery_stream_name(self._spec.slug, self._stack),
        )  # fmt: skip
        transform = self._create_function(
            "transform",
            args["code"],
            args["transform_handler"],
            timeout=60,
            extra_statements=[
                {
                    "Sid": "PutBackEvents",
                    "Effect": "Allow",
                    "Action": ["firehose:PutRecordBatch"],
                    "Resource": own_stream,
                }
            ],
        )
        setup_role = self._create_role("setup", "lambda.amazonaws.com")
        master = args.get("master_user_arn") or self._create_master_role(setup_role)
        setup = self._create_function(
            "setup",
            args["code"],
            args["setup_handler"],
            timeout=120,
            role=setup_role,
            extra_statements=[
                {
                    "Sid": "ActAsMasterUser",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole"],
                    "Resource": master,
                }
            ],
        )
        firehose_role = self._create_role("delivery", "firehose.amazonaws.com")
        domain, access = self._create_domain(args, master, firehose_role)
        # Index template, lifecycle and Firehose's role mapping exist before the first event flows.
        index_setup = self._apply_index_setup(args, master, domain, access, setup, firehose_role)
        delivery_logs = aws.cloudwatch.LogGroup(
            f"{self._name}-delivery-logs",
            name_prefix=f"/aws/kinesisfirehose/{physical_name(self._spec.slug, self._stack, limit=64)}-",
            retention_in_days=retention,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        delivery_log_stream = aws.cloudwatch.LogStream(
            f"{self._name}-delivery-errors",
            name="DestinationDelivery",
            log_group_name=delivery_logs.name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{self._name}-delivery-policy",
            name="governed-decision-delivery",
            role=firehose_role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "FailedDocuments",
                        "Effect": "Allow",
                        "Action": [
                            "s3:AbortMultipartUpload",
                            "s3:GetBucketLocation",
                            "s3:GetObject",
                            "s3:ListBucket",
                            "s3:ListBucketMultipartUploads",
                            "s3:PutObject",
                        ],
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                    },
                    {
                        "Sid": "Index",
                        "Effect": "Allow",
                        "Action": [
                            "es:DescribeDomain",
                            "es:DescribeDomains",
                            "es:DescribeDomainConfig",
                            "es:ESHttpGet",
                            "es:ESHttpPost",
                            "es:ESHttpPut",
                        ],
                        "Resource": [domain.arn, pulumi.Output.concat(domain.arn, "/*")],
                    },
                    {
                        "Sid": "Transform",
                        "Effect": "Allow",
                        "Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                        "Resource": [transform.arn, pulumi.Output.concat(transform.arn, ":*")],
                    },
                    {
                        "Sid": "DeliveryLogs",
                        "Effect": "Allow",
                        "Action": ["logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(delivery_logs.arn, ":*"),
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        stream = aws.kinesis.FirehoseDeliveryStream(
            f"{self._name}-decisions",
            name=delivery_stream_name(self._spec.slug, self._stack),
            destination="opensearch",
            server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
                enabled=True, key_type="AWS_OWNED_CMK"
            ),
            opensearch_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationArgs(
                domain_arn=domain.arn,
                index_name=INDEX_PREFIX,
                index_rotation_period="OneDay",
                role_arn=firehose_role.arn,
                buffering_interval=60,
                retry_duration=300,
                s3_backup_mode="FailedDocumentsOnly",
                s3_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationS3ConfigurationArgs(
                    bucket_arn=bucket.arn,
                    role_arn=firehose_role.arn,
                    prefix="failed/",
                    compression_format="GZIP",
                ),
                processing_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationArgs(
                    enabled=True,
                    processors=[
                        aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorArgs(
                            type="Lambda",
                            parameters=[
                                aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorParameterArgs(
                                    parameter_name="LambdaArn",
                                    parameter_value=pulumi.Output.concat(transform.arn, ":$LATEST"),
                                )
                            ],
                        )
                    ],
                ),
                cloudwatch_logging_options=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationCloudwatchLoggingOptionsArgs(
                    enabled=True,
                    log_group_name=delivery_logs.name,
                    log_stream_name=delivery_log_stream.name,
                ),
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery_policy, index_setup]),
        )  # fmt: skip
        self._subscribe_event_log_groups(args["event_log_group_names"], stream)
        return stream, domain, setup_role, master

    def _create_master_role(self, setup_role: aws.iam.Role) -> pulumi.Output[str]:
        # No policy of its own: the domain's access policy and fine-grained access control
        # (as master user) are all it is for; only the setup function may act as it.
        master = aws.iam.Role(
            f"{self._name}-search-master",
            name_prefix=physical_name(self._spec.slug, self._stack, "search-master", limit=37) + "-",
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": setup_role.arn},
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return master.arn

    def _create_domain(
        self, args: ObservabilityLayerArgs, master: pulumi.Input[str], firehose_role: aws.iam.Role
    ) -> tuple[aws.opensearch.Domain, aws.opensearch.DomainPolicy]:
        size = args["domain"]
        spread = size["instance_count"] > 1
        domain = aws.opensearch.Domain(
            f"{self._name}-search",
            domain_name=physical_name(self._spec.slug, self._stack, "events", limit=28),
            engine_version=OPENSEARCH_ENGINE,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=size["instance_type"],
                instance_count=size["instance_count"],
                zone_awareness_enabled=spread,
                zone_awareness_config=(
                    aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(availability_zone_count=2)
                    if spread
                    else None
                ),
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_size=size["volume_gb"], volume_type="gp3"
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
                enabled=True,
                internal_user_database_enabled=False,
                anonymous_auth_enabled=False,
                master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                    master_user_arn=master
                ),
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args["protect_data"]),
        )
        # Only the master user (and the setup function acting as it) and Firehose reach the
        # domain at all; fine-grained access control then narrows what each may do.
        access = aws.opensearch.DomainPolicy(
            f"{self._name}-search-access",
            domain_name=domain.domain_name,
            access_policies=policy_document(
                [
                    {
                        "Sid": "MasterAndDelivery",
                        "Effect": "Allow",
                        "Principal": {"AWS": [master, firehose_role.arn]},
                        "Action": [
                            "es:ESHttpGet",
                            "es:ESHttpHead",
                            "es:ESHttpPost",
                            "es:ESHttpPut",
                            "es:ESHttpPatch",
                            "es:ESHttpDelete",
                        ],
                        "Resource": pulumi.Output.concat(domain.arn, "/*"),
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return domain, access

    def _apply_index_setup(
        self,
        args: ObservabilityLayerArgs,
        master: pulumi.Input[str],
        domain: aws.opensearch.Domain,
        access: aws.opensearch.DomainPolicy,
        setup: aws.lambda_.Function,
        firehose_role: aws.iam.Role,
    ) -> aws.lambda_.Invocation:
        replicas = 1 if args["domain"]["instance_count"] > 1 else 0
        documents = {
            "indexTemplate": {"name": INDEX_PREFIX, "body": decision_index_template(replicas)},
            "ismPolicy": {"id": ISM_POLICY_ID, "body": ism_policy(self._spec.observability.retention_days)},
            "roles": {WRITER_ROLE: writer_role()},
        }
        digest = hashlib.sha256(json.dumps(documents, sort_keys=True).encode()).hexdigest()
        return aws.lambda_.Invocation(
            f"{self._name}-index-setup",
            function_name=setup.name,
            input=pulumi.Output.json_dumps(
                {
                    **documents,
                    "endpoint": domain.endpoint,
                    "masterRoleArn": master,
                    "roleMappings": {WRITER_ROLE: {"backend_roles": [firehose_role.arn]}},
                }
            ),
            # Runs again whenever the documents or the mapped role change.
            triggers={"documents": digest, "writer": firehose_role.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
        )

    def _subscribe_event_log_groups(
        self, log_group_names: Sequence[pulumi.Input[str]], stream: aws.kinesis.FirehoseDeliveryStream
    ) -> None:
        role = self._create_role(
            "subscription",
            "logs.amazonaws.com",
            StringLike={
                "aws:SourceArn": pulumi.Output.concat(
                    "arn:", self._partition, ":logs:", self._region, ":", self._account, ":*"
                )
            },
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-subscription-policy",
            name="governed-forward-decision-events",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "ForwardEvents",
                        "Effect": "Allow",
                        "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                        "Resource": stream.arn,
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The list's length is known when the program runs, so the filters are created
        # directly, never inside apply().
        for index, log_group_name in enumerate(log_group_names):
            aws.cloudwatch.LogSubscriptionFilter(
                f"{self._name}-events-{index}",
                log_group=log_group_name,
                filter_pattern=DECISION_EVENT_FILTER,
                destination_arn=stream.arn,
                role_arn=role.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )

    def _create_failed_events_bucket(self, protect: bool) -> aws.s3.Bucket:
        bucket = private_bucket(
            f"{self._name}-failed",
            prefix=physical_name(self._spec.slug, self._stack, "failed-events", limit=36) + "-",
            protect=protect,
            tags=self._tags,
            parent=self,
        )
        child = pulumi.ResourceOptions(parent=self)
        # Failed documents are kept as long as the index would have kept them.
        retention = self._spec.observability.retention_days
        aws.s3.BucketLifecycleConfiguration(
            f"{self._name}-failed-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-failed-events",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="failed/"),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=retention
                    ),
                )
            ],
            opts=child,
        )  # fmt: skip
        return bucket

    # ------------------------------------------------------------------ functions and roles

    def _create_role(self, purpose: str, service: str, **conditions: Any) -> aws.iam.Role:
        return aws.iam.Role(
            f"{self._name}-{purpose}-role",
            name_prefix=physical_name(self._spec.slug, self._stack, purpose, limit=37) + "-",
            assume_role_policy=assume_role_policy(service, **conditions),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_function(
        self,
        purpose: str,
        code: LambdaCode,
        handler: str,
        *,
        timeout: int,
        role: aws.iam.Role | None = None,
        extra_statements: Sequence[dict[str, Any]] = (),
    ) -> aws.lambda_.Function:
        settings = FunctionSettings(
            function_name=physical_name(self._spec.slug, self._stack, f"events-{purpose}", limit=64),
            handler=handler,
            code=code,
            role=role or self._create_role(purpose, "lambda.amazonaws.com"),
            policy_name=f"governed-events-{purpose}",
            statements=lambda own_logs: [*logs_and_tracing(own_logs), *extra_statements],
            environment={ENV_POWERTOOLS_SERVICE_NAME: self._spec.slug},
            timeout=timeout,
            memory_mb=256,
            retention_days=self._spec.observability.retention_days,
        )
        function, _ = governed_function(f"{self._name}-{purpose}", settings, parent=self, tags=self._tags)
        return function

    # ------------------------------------------------------------------ queries, alarms, dashboard

    def _create_decision_chain_query(self, log_group_names: Sequence[pulumi.Input[str]]) -> None:
        aws.cloudwatch.QueryDefinition(
            f"{self._name}-decision-chain",
            name=f"governed/{self._spec.slug}/{self._stack}/decision-chain",
            log_group_names=list(log_group_names),
            query_string=(
                "fields timestamp, stage, outcome, latencyMs, tenantId, userId, details\n"
                "| filter schemaVersion >= 1 and jobId = 'REPLACE_WITH_JOB_ID'\n"
                "| sort timestamp asc"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_alarms(self, args: ObservabilityLayerArgs) -> list[aws.cloudwatch.MetricAlarm]:
        service = {DIMENSION_SERVICE: self._spec.slug}
        alarms = [
            self._alarm(
                "api-5xx", "The API answered with server errors.", args,
                namespace="AWS/ApiGateway", metric_name="5xx", dimensions={"ApiId": args["api_id"]},
                statistic="Sum", threshold=5,
            ),
            self._alarm(
                "executions-failed", "A job's state machine execution failed.", args,
                namespace="AWS/States", metric_name="ExecutionsFailed",
                dimensions={"StateMachineArn": args["state_machine_arn"]}, statistic="Sum", threshold=1,
            ),
            self._alarm(
                "guardrail-blocks", "Bedrock Guardrails blocked a burst of inputs or outputs.", args,
                namespace=args["metrics_namespace"], metric_name=METRIC_GUARDRAIL_BLOCKED, dimensions=service,
                statistic="Sum", threshold=GUARDRAIL_BLOCK_THRESHOLD,
            ),
            self._alarm(
                "breaker-open", "The circuit breaker on Bedrock calls opened.", args,
                namespace=args["metrics_namespace"], metric_name=METRIC_BREAKER_OPEN, dimensions=service,
                statistic="Maximum", threshold=1,
            ),
        ]  # fmt: skip
        for index, function_name in enumerate(args["function_names"]):
            alarms.append(
                self._alarm(
                    f"throttles-{index}", "A function was throttled: raise its concurrency or slow callers.",
                    args, namespace="AWS/Lambda", metric_name="Throttles",
                    dimensions={"FunctionName": function_name}, statistic="Sum", threshold=1,
                )
            )  # fmt: skip
        return alarms

    def _alarm(
        self,
        purpose: str,
        description: str,
        args: ObservabilityLayerArgs,
        *,
        namespace: str,
        metric_name: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        statistic: str,
        threshold: float,
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{purpose}",
            name=alarm_name(self._spec.slug, self._stack, purpose),
            alarm_description=f"{self._spec.name}: {description}",
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dimensions,
            statistic=statistic,
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No data means nothing went wrong: no errors, no blocks, no throttles.
            treat_missing_data="notBreaching",
            alarm_actions=list(args["alarm_actions"]),
            ok_actions=list(args["alarm_actions"]),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_dashboard(
        self, args: ObservabilityLayerArgs, alarms: Sequence[aws.cloudwatch.MetricAlarm]
    ) -> aws.cloudwatch.Dashboard:
        namespace = args["metrics_namespace"]
        slug = self._spec.slug
        sources = pulumi.Output.all(*args["event_log_group_names"]).apply(
            lambda names: " | ".join(f"SOURCE '{group}'" for group in names)
        )
        # Tokens by tenant come from the events, not from a metric: a per-tenant metric
        # dimension would cost one custom metric per tenant.
        tokens_query = pulumi.Output.concat(
            sources,
            " | filter schemaVersion >= 1 and ispresent(`gen_ai.usage.input_tokens`)"
            " | stats sum(`gen_ai.usage.input_tokens`) as inputTokens,"
            " sum(`gen_ai.usage.output_tokens`) as outputTokens by tenantId"
            " | sort inputTokens desc | limit 25",
        )
        latency = [
            [
                namespace,
                METRIC_STAGE_LATENCY,
                DIMENSION_SERVICE,
                slug,
                DIMENSION_STAGE,
                stage,
                {"stat": "p95", "label": stage},
            ]
            for stage in STAGES
        ]
        body = {
            "widgets": [
                _widget(
                    0, 0, "metric", "Latency by stage (p95, ms)", {"metrics": latency, "region": self._region}
                ),
                _widget(
                    12,
                    0,
                    "log",
                    "Tokens by tenant",
                    {"query": tokens_query, "region": self._region, "view": "table"},
                ),
                _widget(
                    0,
                    6,
                    "metric",
                    "Jobs",
                    {
                        "metrics": [
                            ["AWS/States", metric, "StateMachineArn", args["state_machine_arn"]]
                            for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed")
                        ],
                        "stat": "Sum",
                        "region": self._region,
                    },
                ),
                _widget(12, 6, "alarm", "Alarms", {"alarms": [alarm.arn for alarm in alarms]}),
            ]
        }
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=physical_name(slug, self._stack, "decisions", limit=255),
            dashboard_body=pulumi.Output.json_dumps(body),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _widget(x: int, y: int, kind: str, title: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {"title": title, **properties},
    }
