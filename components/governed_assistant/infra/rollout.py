"""``RolloutLayer``: the AppConfig feature flags every step reads.

One application, one environment named after the stack, one hosted configuration profile
holding a Powertools Feature Flags document (shadow mode, kill switch, canary by tenant,
circuit-breaker settings), deployed gradually with a strategy chosen per stack and rolled
back by AppConfig when one of the environment's alarms fires.

The profile is ``AWS.Freeform``, not ``AWS.AppConfig.FeatureFlags``: AppConfig validates a
FeatureFlags profile's content against its own ``{"flags", "values", "version"}`` format
and serves it flattened, which is not the schema Powertools' ``FeatureFlags`` (and so the
gate) reads. A freeform JSON profile carries Powertools' schema as it is; a JSON Schema
validator on the profile refuses a malformed document before it is deployed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.functions import (
    account_of,
    assume_role_policy,
    physical_name,
    policy_document,
    source_conditions,
)
from governed_assistant.runtime.flags import build_flags_document
from governed_assistant.spec.model import AssistantSpec, is_production
from governed_assistant.wire import (
    ENV_APPCONFIG_APPLICATION,
    ENV_APPCONFIG_ENVIRONMENT,
    ENV_APPCONFIG_PROFILE,
)

PROFILE_TYPE: Final = "AWS.Freeform"
PROFILE_NAME: Final = "flags"
CONTENT_TYPE: Final = "application/json"

# Accepted by AppConfig's CreateHostedConfigurationVersion: every feature is an object with
# a default; the detailed rules are Powertools' (``SchemaValidator``), checked in tests and
# by the policy pack's ``feature-flags-valid``.
FLAGS_JSON_SCHEMA: Final = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["default"],
        "properties": {"boolean_type": {"type": "boolean"}, "rules": {"type": "object"}},
    },
}


class RolloutLayerError(GovernanceError):
    """When the rollout layer's arguments cannot build a working deployment."""


class DeploymentStrategySettings(TypedDict):
    """How fast a flags change reaches every Lambda environment, and how long it is watched."""

    growth_type: Literal["LINEAR", "EXPONENTIAL"]
    """LINEAR adds ``growth_factor`` percent per step; EXPONENTIAL starts there and doubles."""
    growth_factor: float
    """The percentage of targets a step adds (1-100)."""
    deployment_duration_minutes: int
    """How long the whole deployment takes (0-1440)."""
    final_bake_time_minutes: int
    """How long AppConfig watches the alarms after 100% before the deployment completes (0-1440)."""


def default_strategy(stack: str) -> DeploymentStrategySettings:
    """Production: AWS's Canary10Percent20Minutes shape; elsewhere fast, so a change is seen in a minute."""
    if is_production(stack):
        return {
            "growth_type": "EXPONENTIAL",
            "growth_factor": 10,
            "deployment_duration_minutes": 20,
            "final_bake_time_minutes": 10,
        }
    return {
        "growth_type": "LINEAR",
        "growth_factor": 50,
        "deployment_duration_minutes": 1,
        "final_bake_time_minutes": 1,
    }


def check_strategy(strategy: DeploymentStrategySettings) -> None:
    """Raise ``RolloutLayerError`` for values AppConfig would refuse at deploy time."""
    problems = []
    if strategy["growth_type"] not in ("LINEAR", "EXPONENTIAL"):
        problems.append(f"growth_type={strategy['growth_type']!r} (LINEAR or EXPONENTIAL)")
    if not 1 <= strategy["growth_factor"] <= 100:
        problems.append(f"growth_factor={strategy['growth_factor']} (1-100)")
    minutes = {
        "deployment_duration_minutes": strategy["deployment_duration_minutes"],
        "final_bake_time_minutes": strategy["final_bake_time_minutes"],
    }
    for key, value in minutes.items():
        if not 0 <= value <= 1440:
            problems.append(f"{key}={value} (0-1440)")
    if problems:
        raise RolloutLayerError(f"the deployment strategy is out of AppConfig's range: {', '.join(problems)}")


class RolloutLayerArgs(TypedDict):
    spec: AssistantSpec
    """The validated assistant spec: its slug names the resources, its ``rollout`` sets the initial flags."""
    alarm_arns: Sequence[pulumi.Input[str]]
    """CloudWatch alarms AppConfig watches during a deployment, rolling back when one fires
    (the observability layer's error and latency alarms); empty for none. The environment lists
    them as given, so they may be built from the alarms' fixed names before the alarms exist."""
    created_alarm_arns: NotRequired[pulumi.Input[Sequence[str]]]
    """The same alarms' ARNs, from the alarms themselves (a ``pulumi.deferred_output`` when they
    are built after this layer): the monitor role's policy and the first deployment wait for
    them, so no deployment starts before the alarms it is watched by. ``alarm_arns`` otherwise."""
    strategy: NotRequired[DeploymentStrategySettings]
    """How flag changes roll out; ``default_strategy(<stack>)`` when left out (production is slower)."""
    flags: NotRequired[dict[str, Any]]
    """The initial flags document; ``build_flags_document(spec)`` (the runtime's) when left out."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key``): it encrypts the hosted flags and their deployments."""


class RolloutLayer(pulumi.ComponentResource):
    application_id: pulumi.Output[str]
    """The AppConfig application."""
    environment_id: pulumi.Output[str]
    """The AppConfig environment named after the stack."""
    profile_id: pulumi.Output[str]
    """The configuration profile holding the flags."""
    deployment_strategy_id: pulumi.Output[str]
    """The strategy every flags deployment of this stack uses."""
    flags_arn: pulumi.Output[str]
    """``arn:aws:appconfig:<region>:<account>:application/<app>/environment/<env>/configuration/<profile>``:
    what the execution layer's ``flags_arn`` grants the gate to read."""
    environment_variables: pulumi.Output[dict[str, str]]
    """``GOVERNED_APPCONFIG_APPLICATION``, ``_ENVIRONMENT``, ``_PROFILE``: the
    identifiers a function passes to AppConfig to fetch the flags."""

    def __init__(self, name: str, args: RolloutLayerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("governed:rollout:RolloutLayer", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._stack = pulumi.get_stack()
        self._tags = {"assistant": self._spec.slug, "layer": "rollout"}
        strategy_settings = args.get("strategy") or default_strategy(self._stack)
        check_strategy(strategy_settings)
        document = args.get("flags") or build_flags_document(self._spec)
        self._key_arn = args.get("kms_key_arn")

        application = aws.appconfig.Application(
            f"{name}-app",
            name=physical_name(self._spec.slug, self._stack, limit=64),
            description=f"Rollout flags of {self._spec.name} ({self._stack})",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        alarm_arns = list(args["alarm_arns"])
        environment, monitor_policy = self._create_environment(
            application, alarm_arns, args.get("created_alarm_arns", alarm_arns)
        )
        profile, version = self._create_flags(application, document)
        strategy = self._create_strategy(strategy_settings)
        aws.appconfig.Deployment(
            f"{name}-deployment",
            application_id=application.id,
            environment_id=environment.environment_id,
            configuration_profile_id=profile.configuration_profile_id,
            configuration_version=version.version_number.apply(str),
            deployment_strategy_id=strategy.id,
            description="the flags document built from assistant.yaml",
            kms_key_identifier=self._key_arn,
            tags=self._tags,
            # AppConfig reads the environment's alarms, with the monitor role, while the deployment
            # runs: the policy (and, through it, the alarms) must exist before the first one starts.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[monitor_policy] if monitor_policy else []),
        )

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.application_id = application.id
        self.environment_id = environment.environment_id
        self.profile_id = profile.configuration_profile_id
        self.deployment_strategy_id = strategy.id
        self.flags_arn = pulumi.Output.concat(
            "arn:", partition.partition, ":appconfig:", region.region, ":", identity.account_id,
            ":application/", application.id,
            "/environment/", environment.environment_id,
            "/configuration/", profile.configuration_profile_id,
        )  # fmt: skip
        # Identifiers, not names: AppConfig's data plane accepts them wherever it accepts names,
        # and they never collide.
        self.environment_variables = pulumi.Output.all(
            application.id, environment.environment_id, profile.configuration_profile_id
        ).apply(
            lambda ids: {
                ENV_APPCONFIG_APPLICATION: ids[0],
                ENV_APPCONFIG_ENVIRONMENT: ids[1],
                ENV_APPCONFIG_PROFILE: ids[2],
            }
        )
        self.register_outputs(
            {
                "application_id": self.application_id,
                "environment_id": self.environment_id,
                "profile_id": self.profile_id,
                "deployment_strategy_id": self.deployment_strategy_id,
                "flags_arn": self.flags_arn,
                "environment_variables": self.environment_variables,
            }
        )

    def _create_environment(
        self,
        application: aws.appconfig.Application,
        alarm_arns: list[pulumi.Input[str]],
        created_alarm_arns: pulumi.Input[Sequence[str]] | Sequence[pulumi.Input[str]],
    ) -> tuple[aws.appconfig.Environment, aws.iam.RolePolicy | None]:
        monitors: list[aws.appconfig.EnvironmentMonitorArgs] = []
        policy = None
        if alarm_arns:
            # AppConfig reads the alarms' state with this role while a deployment bakes;
            # it may describe those alarms and nothing else.
            role = aws.iam.Role(
                f"{self._name}-monitor-role",
                name_prefix=physical_name(self._spec.slug, self._stack, "flags-monitor", limit=37) + "-",
                # AppConfig documents no source ARN for its alarm role: the account it acts for.
                assume_role_policy=assume_role_policy(
                    "appconfig.amazonaws.com", **source_conditions(account_of(self))
                ),
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            policy = aws.iam.RolePolicy(
                f"{self._name}-monitor-policy",
                name="governed-flags-monitor",
                role=role.id,
                policy=policy_document(
                    [
                        {
                            "Sid": "DescribeRollbackAlarms",
                            "Effect": "Allow",
                            "Action": ["cloudwatch:DescribeAlarms"],
                            "Resource": created_alarm_arns,
                        }
                    ]
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            monitors = [
                aws.appconfig.EnvironmentMonitorArgs(alarm_arn=alarm, alarm_role_arn=role.arn)
                for alarm in alarm_arns
            ]
        # The environment cannot wait for the alarms it lists: they watch the API and the state
        # machine, whose functions are granted this environment's id. AppConfig reads them (with
        # the role's policy) only while a deployment runs, and the deployment waits for both.
        environment = aws.appconfig.Environment(
            f"{self._name}-env",
            application_id=application.id,
            name=self._stack,
            description=f"The {self._stack} stack",
            monitors=monitors,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return environment, policy

    def _create_flags(
        self, application: aws.appconfig.Application, document: dict[str, Any]
    ) -> tuple[aws.appconfig.ConfigurationProfile, aws.appconfig.HostedConfigurationVersion]:
        profile = aws.appconfig.ConfigurationProfile(
            f"{self._name}-profile",
            application_id=application.id,
            name=PROFILE_NAME,
            description="Powertools Feature Flags: shadow mode, kill switch, canary, circuit breaker",
            location_uri="hosted",
            type=PROFILE_TYPE,
            kms_key_identifier=self._key_arn,
            validators=[
                aws.appconfig.ConfigurationProfileValidatorArgs(
                    type="JSON_SCHEMA", content=json.dumps(FLAGS_JSON_SCHEMA, sort_keys=True)
                )
            ],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        version = aws.appconfig.HostedConfigurationVersion(
            f"{self._name}-flags",
            application_id=application.id,
            configuration_profile_id=profile.configuration_profile_id,
            # Sorted keys: the same spec gives the same bytes, so no spurious new version.
            content=json.dumps(document, sort_keys=True, separators=(",", ":")),
            content_type=CONTENT_TYPE,
            description="the flags document built from assistant.yaml",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return profile, version

    def _create_strategy(self, settings: DeploymentStrategySettings) -> aws.appconfig.DeploymentStrategy:
        return aws.appconfig.DeploymentStrategy(
            f"{self._name}-strategy",
            name=physical_name(self._spec.slug, self._stack, "flags", limit=64),
            description=f"Flags rollout for the {self._stack} stack",
            growth_type=settings["growth_type"],
            growth_factor=settings["growth_factor"],
            deployment_duration_in_minutes=settings["deployment_duration_minutes"],
            final_bake_time_in_minutes=settings["final_bake_time_minutes"],
            replicate_to="NONE",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
