"""``ObservabilityLayer``: the decision trace, its store, the alarms and the dashboard.

Every stage writes its ``DecisionEvent`` as one JSON line to its function's log group
(``governed_assistant.contracts.DecisionEvent``, serialized by alias). With
``observability.opensearch`` on, those lines flow through Firehose into OpenSearch; with it
off, Firehose and OpenSearch are skipped and the events stay in those log groups, queried by
the saved "decision chain" Logs Insights query.

Emitting to the log, not to Firehose, means no step function needs a Firehose permission,
no request waits on a PutRecord, and the layers can be built in order (this one watches the
others' functions and state machine) without a dependency cycle.

The layer composes its parts, each in a module of its own:

    decision_delivery  log subscriptions -> Firehose -> transformation, failed events to S3
    search_domain      the OpenSearch domain, its master user and the setup that prepares it
    decision_index     the index template, lifecycle policy and writer role the setup applies
    alarms             the alarms, and which of them AppConfig watches
    dashboard          the CloudWatch dashboard and the saved decision-chain query
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.alarms import ROLLBACK_ALARMS, AlarmSettings, create_alarms
from governed_assistant.infra.audit_archive import EventArchiveSettings, create_event_archive
from governed_assistant.infra.dashboard import create_dashboard, create_decision_chain_query
from governed_assistant.infra.decision_delivery import (
    DecisionDelivery,
    DecisionDeliverySettings,
    create_decision_delivery,
)
from governed_assistant.infra.execution import check_archive
from governed_assistant.infra.functions import FunctionVpc, LambdaCode, service_role
from governed_assistant.infra.search_domain import (
    DomainSize,
    SearchDomain,
    SearchDomainSettings,
    create_search_domain,
)
from governed_assistant.spec.model import AssistantSpec


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
    """Protect the domain and the failed-events bucket (``storage.data_options``); on for production."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key`` in assistant.yaml): every store, log group and function of the
    layer is encrypted with it, and the roles may use it; AWS's keys without it."""
    search_vpc: NotRequired[FunctionVpc]
    """``network: vpc``: the domain's subnets and group (HTTPS from the functions only); Firehose then
    delivers through the functions' subnets and group (``code["vpc"]``). A public domain without it."""
    audit_bucket_arn: NotRequired[pulumi.Input[str]]
    """The audit archive's bucket (``audit_archive.AuditArchive``): every decision event is archived
    there too, whether or not OpenSearch is on. None: no archive stream."""


class ObservabilityLayer(pulumi.ComponentResource):
    delivery_stream_name: pulumi.Output[str | None]
    """The Firehose stream decision events flow through; None when OpenSearch is off."""
    domain_endpoint: pulumi.Output[str | None]
    """The OpenSearch domain's HTTPS endpoint; None when OpenSearch is off."""
    failed_events_bucket: pulumi.Output[str | None]
    """The bucket Firehose keeps the events it could not index in; None when OpenSearch is off."""
    setup_role_arn: pulumi.Output[str | None]
    """The role the master user's trust policy must allow; None when OpenSearch is off."""
    master_user_arn: pulumi.Output[str | None]
    """The domain's master user (given, or created here); None when OpenSearch is off."""
    dashboard_url: pulumi.Output[str]
    """The CloudWatch dashboard (latency by stage, tokens by tenant, jobs, alarms)."""
    alarm_arns: pulumi.Output[list[str]]
    """Every alarm this layer created."""
    rollback_alarm_arns: pulumi.Output[list[str]]
    """The alarms AppConfig watches while it rolls a flags change out (``alarms.ROLLBACK_ALARMS``)."""
    delivery_stream_arn: pulumi.Output[str | None]
    """The Firehose stream's ARN; None when OpenSearch is off."""

    def __init__(
        self, name: str, args: ObservabilityLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:observability:ObservabilityLayer", name, None, opts)
        self._name = name
        self._spec = spec = args["spec"]
        self._tags = {"assistant": spec.slug, "layer": "observability"}
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke_opts).region
        self._partition = aws.get_partition_output(opts=invoke_opts).partition
        self._account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        check_archive(args["code"]["archive"], f"{name} observability functions")

        delivery_stream_name: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        delivery_stream_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        domain_endpoint: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        failed_events_bucket: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        setup_role_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        master_user_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if spec.observability.opensearch:
            delivery, search = self._create_search_pipeline(args)
            delivery_stream_name = delivery.stream.name
            delivery_stream_arn = delivery.stream.arn
            failed_events_bucket = delivery.failed_events_bucket.bucket
            domain_endpoint = search.domain.endpoint
            setup_role_arn = search.setup_role.arn
            master_user_arn = pulumi.Output.from_input(search.master_user_arn)
        if "audit_bucket_arn" in args:
            create_event_archive(
                self,
                name,
                EventArchiveSettings(
                    spec=spec,
                    bucket_arn=args["audit_bucket_arn"],
                    event_log_group_names=args["event_log_group_names"],
                    tags=self._tags,
                    region=self._region,
                    partition=self._partition,
                    account=self._account,
                    kms_key_arn=args.get("kms_key_arn"),
                ),
            )
        create_decision_chain_query(self, name, slug=spec.slug, log_group_names=args["event_log_group_names"])
        alarms = create_alarms(
            self,
            name,
            AlarmSettings(
                spec=spec,
                metrics_namespace=args["metrics_namespace"],
                api_id=args["api_id"],
                state_machine_arn=args["state_machine_arn"],
                function_names=args["function_names"],
                actions=args["alarm_actions"],
                tags=self._tags,
            ),
        )
        dashboard = create_dashboard(
            self,
            name,
            slug=spec.slug,
            region=self._region,
            metrics_namespace=args["metrics_namespace"],
            log_group_names=args["event_log_group_names"],
            state_machine_arn=args["state_machine_arn"],
            alarms=list(alarms.values()),
        )

        self.delivery_stream_name = delivery_stream_name
        self.delivery_stream_arn = delivery_stream_arn
        self.domain_endpoint = domain_endpoint
        self.failed_events_bucket = failed_events_bucket
        self.setup_role_arn = setup_role_arn
        self.master_user_arn = master_user_arn
        self.dashboard_url = pulumi.Output.concat(
            "https://", self._region, ".console.aws.amazon.com/cloudwatch/home?region=", self._region,
            "#dashboards/dashboard/", dashboard.dashboard_name,
        )  # fmt: skip
        self.alarm_arns = pulumi.Output.all(*(alarm.arn for alarm in alarms.values()))
        self.rollback_alarm_arns = pulumi.Output.all(*(alarms[purpose].arn for purpose in ROLLBACK_ALARMS))
        self.register_outputs(
            {
                "delivery_stream_name": self.delivery_stream_name,
                "domain_endpoint": self.domain_endpoint,
                "failed_events_bucket": self.failed_events_bucket,
                "setup_role_arn": self.setup_role_arn,
                "master_user_arn": self.master_user_arn,
                "dashboard_url": self.dashboard_url,
                "alarm_arns": self.alarm_arns,
                "rollback_alarm_arns": self.rollback_alarm_arns,
                "delivery_stream_arn": self.delivery_stream_arn,
            }
        )

    def _create_search_pipeline(self, args: ObservabilityLayerArgs) -> tuple[DecisionDelivery, SearchDomain]:
        spec = self._spec
        # Firehose's role comes first: the domain lets it in and maps it to the writer role,
        # and the stream delivers with it.
        firehose_role = service_role(
            self._name, "delivery", slug=spec.slug, stack=pulumi.get_stack(),
            service="firehose.amazonaws.com", tags=self._tags, parent=self,
            # Firehose's documented trust: the account it delivers for, as sts:ExternalId (it
            # documents no source ARN for the role it delivers with).
            StringEquals={"sts:ExternalId": self._account},
        )  # fmt: skip
        search = create_search_domain(
            self,
            self._name,
            SearchDomainSettings(
                spec=spec,
                code=args["code"],
                setup_handler=args["setup_handler"],
                master_user_arn=args.get("master_user_arn"),
                writer=firehose_role,
                size=args["domain"],
                protect=args["protect_data"],
                tags=self._tags,
                kms_key_arn=args.get("kms_key_arn"),
                vpc=args.get("search_vpc"),
            ),
        )
        delivery = create_decision_delivery(
            self,
            self._name,
            DecisionDeliverySettings(
                spec=spec,
                code=args["code"],
                transform_handler=args["transform_handler"],
                role=firehose_role,
                domain=search.domain,
                index_setup=search.index_setup,
                event_log_group_names=args["event_log_group_names"],
                protect=args["protect_data"],
                tags=self._tags,
                region=self._region,
                partition=self._partition,
                account=self._account,
                kms_key_arn=args.get("kms_key_arn"),
            ),
        )
        return delivery, search
