"""``ExecutionLayer``: the deterministic path every accepted job takes, after the reasoning layer.

EventBridge ("job accepted") starts a Step Functions (Standard) state machine whose
definition is the one ``governed_assistant.infra.asl`` builds from the spec; each of its steps is a
Lambda with a role of its own. The layer composes its parts, each in a module of its own:

    steps          the steps as data: their names, grants, and which ASL placeholder is whose
    job_tables     the jobs, approvals and idempotency tables
    step_lambdas   one function per step, its role and policy built from its grants
    state_machine  the state machine, its role and execution logs
    job_trigger    the bus, the "job accepted" rule and its target, the dead-letter queue
    approval_subscriptions  the approval topic's policy, each tenant's approvers' subscriptions
    insights       Pattern C's insight trigger
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.approval_subscriptions import (
    ApprovalSubscription,
    DeadLetterSettings,
    create_approval_delivery,
)
from governed_assistant.infra.functions import LambdaCode
from governed_assistant.infra.insights import InsightSettings, create_insight_trigger
from governed_assistant.infra.job_tables import create_job_table
from governed_assistant.infra.job_trigger import create_job_trigger
from governed_assistant.infra.state_machine import create_state_machine
from governed_assistant.infra.step_lambdas import StepLambdaSettings, create_step_lambda
from governed_assistant.infra.steps import STEPS, ExecutionLayerError, ResourceKey, Step
from governed_assistant.spec.model import AssistantSpec

INSIGHTS_PATTERN: Final = "insights-to-action"


class ExecutionLayerArgs(TypedDict):
    spec: AssistantSpec
    """The validated assistant spec: actions (timeouts, retries) and log retention come from it."""
    code: LambdaCode
    """The code and dependencies layer every step function runs."""
    handlers: Mapping[Step, str]
    """The handler of each step (all six), e.g. ``{"gate": "governed_assistant.handlers.gate.handler"}``."""
    environment: Mapping[str, pulumi.Input[str]]
    """Variables every step function gets (flags location, metrics namespace...), besides its own."""
    reason_function_arn: pulumi.Input[str]
    """The reasoning layer's function: the state machine's first task (it proposes, never executes)."""
    guardrail_arn: pulumi.Input[str]
    """The Bedrock guardrail the output guardrail step applies (the conversation layer creates it)."""
    guardrail_version: pulumi.Input[str]
    """The guardrail version to apply, e.g. ``"1"`` or ``"DRAFT"``."""
    flags_arn: pulumi.Input[str]
    """The AppConfig configuration profile the gate reads rollout flags from (the rollout layer's),
    ``arn:aws:appconfig:<region>:<account>:application/<app>/environment/<env>/configuration/<profile>``;
    its identifiers reach the gate through ``environment``."""
    protect_data: bool
    """Protect the jobs, approvals and idempotency tables (``storage.data_options``); on for production."""
    account_id: pulumi.Input[str]
    """The stack's AWS account: the only one whose principals may subscribe to the approval topic."""
    approval_subscriptions: NotRequired[Sequence[ApprovalSubscription]]
    """The approvers' endpoints, each subscribed with a filter naming its one tenant; none by default
    (``approval_subscriptions.parse_approval_subscriptions`` reads the stack setting)."""
    decision_stream_arn: NotRequired[pulumi.Input[str]]
    """The Firehose stream the functions put decision events on (``firehose`` telemetry sink);
    left out with the log sink, and then no function may touch Firehose."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key`` in assistant.yaml): every store, log group and function of the
    layer is encrypted with it, and the roles may use it; AWS's keys without it."""
    insight_handler: NotRequired[str]
    """The insight function's handler; required by Pattern C (``insights-to-action``), unused elsewhere."""
    alarm_actions: NotRequired[Sequence[pulumi.Input[str]]]
    """SNS topics the dead-letter queues' alarms notify; none by default."""


def check_archive(archive: pulumi.Archive, what: str) -> None:
    """Refuse a ``FileArchive`` whose path is missing: the mocks would accept it, AWS would not."""
    if isinstance(archive, pulumi.FileArchive) and not Path(archive.path).exists():
        raise ExecutionLayerError(
            f"the code archive for {what} points at a missing path, path={archive.path}; "
            "build the code first (make build) or pass the right path"
        )


class ExecutionLayer(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    """The job state machine (Standard)."""
    event_bus_name: pulumi.Output[str]
    """The bus the conversation layer puts "job accepted" events on."""
    event_bus_arn: pulumi.Output[str]
    """That bus's ARN (what ``events:PutEvents`` is granted on)."""
    jobs_table_name: pulumi.Output[str]
    """Jobs, keyed ``pk = <tenant>#<job>``, ``sk``."""
    jobs_table_arn: pulumi.Output[str]
    """The jobs table's ARN."""
    approvals_table_name: pulumi.Output[str]
    """Pending and decided approvals (task tokens), keyed ``pk``, ``sk``."""
    approvals_table_arn: pulumi.Output[str]
    """The approvals table's ARN."""
    idempotency_table_name: pulumi.Output[str]
    """Powertools idempotency records (``id``; TTL on ``expiration``)."""
    idempotency_table_arn: pulumi.Output[str]
    """The idempotency table's ARN."""
    approval_topic_arn: pulumi.Output[str]
    """Where approval requests are published (approvers subscribe)."""
    function_names: pulumi.Output[list[str]]
    """The step functions' names, in ``STEPS`` order, then the insight function's (Pattern C)."""
    log_group_names: pulumi.Output[list[str]]
    """Their log groups, in the same order (decision events are read from them)."""

    def __init__(
        self, name: str, args: ExecutionLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:execution:ExecutionLayer", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._tags = {"assistant": self._spec.slug, "layer": "execution"}
        missing = [step for step in STEPS if step not in args["handlers"]]
        if missing:
            raise ExecutionLayerError(
                f"no handler given for steps {missing}; pass one per step in handlers=, steps={list(STEPS)}"
            )
        check_archive(args["code"]["archive"], f"{name} step functions")
        insights = self._spec.pattern == INSIGHTS_PATTERN
        if insights and not args.get("insight_handler"):
            raise ExecutionLayerError(
                f"pattern={self._spec.pattern!r} needs the insight function, but no insight_handler "
                "was given; pass insight_handler='governed_assistant.handlers.insight.handler'"
            )
        protect = args["protect_data"]
        tags = self._tags
        key_arn = args.get("kms_key_arn")
        jobs = create_job_table(
            self, f"{name}-jobs", ("pk", "sk"), ttl="expiresAt", protect=protect, tags=tags, key_arn=key_arn
        )
        approvals = create_job_table(
            self,
            f"{name}-approvals",
            ("pk", "sk"),
            ttl="expiresAt",
            protect=protect,
            tags=tags,
            key_arn=key_arn,
        )
        # Protected too: without its records a retried step could run an action twice.
        idempotency = create_job_table(
            self,
            f"{name}-idempotency",
            ("id",),
            ttl="expiration",
            protect=protect,
            tags=tags,
            key_arn=key_arn,
        )
        topic = aws.sns.Topic(
            f"{name}-approvals",
            kms_master_key_id=key_arn if key_arn is not None else "alias/aws/sns",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # One topic carries every tenant's requests: each approver hears of its own tenant's only.
        create_approval_delivery(
            self,
            f"{name}-approvals",
            topic,
            args.get("approval_subscriptions", ()),
            args["account_id"],
            DeadLetterSettings(
                slug=self._spec.slug,
                tags=tags,
                alarm_actions=list(args.get("alarm_actions", ())),
                key_arn=key_arn,
            ),
        )
        resources: dict[ResourceKey, pulumi.Input[str]] = {
            "jobs_table": jobs.arn,
            "approvals_table": approvals.arn,
            "idempotency_table": idempotency.arn,
            "approval_topic": topic.arn,
            "guardrail": args["guardrail_arn"],
            "flags": args["flags_arn"],
        }
        stream_arn = args.get("decision_stream_arn")
        if stream_arn is not None:
            resources["decision_stream"] = stream_arn
        values: dict[ResourceKey, pulumi.Input[str]] = {
            "jobs_table": jobs.name,
            "approvals_table": approvals.name,
            "idempotency_table": idempotency.name,
            "approval_topic": topic.arn,
            "guardrail": args["guardrail_arn"],
        }
        step_settings = StepLambdaSettings(
            spec=self._spec,
            code=args["code"],
            handlers=args["handlers"],
            environment=args["environment"],
            guardrail_version=args["guardrail_version"],
            resources=resources,
            values=values,
            tags=tags,
            kms_key_arn=key_arn,
        )
        functions: dict[Step, aws.lambda_.Function] = {}
        log_groups: list[aws.cloudwatch.LogGroup] = []
        for step in STEPS:
            function, log_group = create_step_lambda(self, name, step, step_settings)
            functions[step] = function
            log_groups.append(log_group)
        state_machine = create_state_machine(
            self,
            name,
            spec=self._spec,
            functions=functions,
            reason_arn=args["reason_function_arn"],
            tags=tags,
            key_arn=key_arn,
        )
        alarm_actions = list(args.get("alarm_actions", ()))
        bus = create_job_trigger(
            self,
            name,
            slug=self._spec.slug,
            state_machine=state_machine,
            tags=tags,
            key_arn=key_arn,
            alarm_actions=alarm_actions,
        )
        function_names = [functions[step].name for step in STEPS]
        group_names = [group.name for group in log_groups]
        if insights:
            # Pattern C: an insight on the bus becomes a job; see governed_assistant.infra.insights.
            insight, insight_logs = create_insight_trigger(
                self,
                f"{name}-insight",
                InsightSettings(
                    spec=self._spec,
                    code=args["code"],
                    handler=args.get("insight_handler") or "",
                    environment=args["environment"],
                    jobs_table_arn=jobs.arn,
                    jobs_table_name=jobs.name,
                    bus=bus,
                    decision_stream_arn=stream_arn,
                    tags=self._tags,
                    kms_key_arn=key_arn,
                    alarm_actions=alarm_actions,
                ),
            )
            function_names.append(insight.name)
            group_names.append(insight_logs.name)

        self.state_machine_arn = state_machine.arn
        self.event_bus_name = bus.name
        self.event_bus_arn = bus.arn
        self.jobs_table_name = jobs.name
        self.jobs_table_arn = jobs.arn
        self.approvals_table_name = approvals.name
        self.approvals_table_arn = approvals.arn
        self.idempotency_table_name = idempotency.name
        self.idempotency_table_arn = idempotency.arn
        self.approval_topic_arn = topic.arn
        self.function_names = pulumi.Output.all(*function_names)
        self.log_group_names = pulumi.Output.all(*group_names)
        self.register_outputs(
            {
                "state_machine_arn": self.state_machine_arn,
                "event_bus_name": self.event_bus_name,
                "event_bus_arn": self.event_bus_arn,
                "jobs_table_name": self.jobs_table_name,
                "jobs_table_arn": self.jobs_table_arn,
                "approvals_table_name": self.approvals_table_name,
                "approvals_table_arn": self.approvals_table_arn,
                "idempotency_table_name": self.idempotency_table_name,
                "idempotency_table_arn": self.idempotency_table_arn,
                "approval_topic_arn": self.approval_topic_arn,
                "function_names": self.function_names,
                "log_group_names": self.log_group_names,
            }
        )
