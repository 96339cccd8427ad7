"""The rollout layer under mocks: AppConfig flags the gate can read, deployed per stack, watched by alarms."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator
from governed_assistant.infra.invariants import feature_flags_valid, resource_checks
from governed_assistant.infra.rollout import (
    FLAGS_JSON_SCHEMA,
    DeploymentStrategySettings,
    RolloutLayer,
    RolloutLayerArgs,
    RolloutLayerError,
    default_strategy,
)
from governed_assistant.infra.testing import (
    ACCOUNT_ID,
    REGION,
    MockRun,
    RegisteredResource,
    run_with_mocks,
)
from governed_assistant.runtime.flags import build_flags_document
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.wire import (
    ENV_APPCONFIG_APPLICATION,
    ENV_APPCONFIG_ENVIRONMENT,
    ENV_APPCONFIG_PROFILE,
)
from pulumi.runtime.rpc import unwrap_rpc_secret

from tests.conftest import preset_document

LAYER = "assistant-rollout"
ALARMS = [
    f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:assistant-errors",
    f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:assistant-latency",
]
HOSTED = "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion"

EXPECTED_INVENTORY = {
    "governed:rollout:RolloutLayer": 1,
    "aws:appconfig/application:Application": 1,
    "aws:appconfig/environment:Environment": 1,
    "aws:appconfig/configurationProfile:ConfigurationProfile": 1,
    "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": 1,
    "aws:appconfig/deploymentStrategy:DeploymentStrategy": 1,
    "aws:appconfig/deployment:Deployment": 1,
    # The role AppConfig reads the alarms with, and its policy.
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
}


def make_spec(**rollout: Any) -> AssistantSpec:
    document = preset_document()
    document["rollout"] = {**document.get("rollout", {}), **rollout}
    return parse_spec(render_spec_yaml(document))


def build(spec: AssistantSpec, *, stack: str = "test", **overrides: Any) -> tuple[MockRun, dict[str, Any]]:
    """Run the layer under mocks; return what it registered and its resolved outputs."""
    outputs: dict[str, Any] = {}
    args: RolloutLayerArgs = {"spec": spec, "alarm_arns": ALARMS}
    args.update(overrides)  # type: ignore[typeddict-item]

    def program() -> None:
        layer = RolloutLayer(LAYER, args)
        for key in ("application_id", "environment_id", "profile_id", "flags_arn", "environment_variables"):
            getattr(layer, key).apply(lambda value, key=key: outputs.__setitem__(key, value))

    return run_with_mocks(program, project=spec.slug, stack=stack), outputs


def only(run: MockRun, resource_type: str) -> RegisteredResource:
    (resource,) = run.of_type(resource_type)
    return resource


def plain_inputs(resource: RegisteredResource) -> dict[str, Any]:
    """The inputs with secrets unwrapped (pulumi_aws marks a hosted version's content secret)."""
    return {key: unwrap_rpc_secret(value) for key, value in resource.inputs.items()}


@pytest.fixture(scope="module")
def built() -> tuple[MockRun, dict[str, Any]]:
    return build(make_spec())


@pytest.fixture(scope="module")
def run(built: tuple[MockRun, dict[str, Any]]) -> MockRun:
    return built[0]


def test_rollout_layer_inventory_is_fixed(run: MockRun) -> None:
    """One application, environment, profile, version, strategy, deployment, and the monitor role."""
    types = run.types()
    del types["pulumi:pulumi:Stack"]
    assert types == Counter(EXPECTED_INVENTORY)


def test_rollout_layer_without_alarms_has_no_monitor_role() -> None:
    """No alarms: no monitors and no role for AppConfig to read them with."""
    run, _ = build(make_spec(), alarm_arns=[])
    assert run.of_type("aws:iam/role:Role") == []
    assert run.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert only(run, "aws:appconfig/environment:Environment").inputs.get("monitors", []) == []


def test_rollout_layer_resources_are_parented_and_unique(run: MockRun) -> None:
    """No resource sits outside the component, and no two share a URN."""
    assert run.orphans() == []
    assert run.duplicate_urns() == []
    layer = only(run, "governed:rollout:RolloutLayer")
    assert all(r.parent == layer.urn for r in run.resources if r.custom)


def test_rollout_layer_passes_every_resource_invariant(run: MockRun) -> None:
    """The invariants the policy pack runs find nothing to say about any of its resources."""
    spec = make_spec()
    checks = resource_checks(spec).values()
    violations = [
        v for r in run.resources for check in checks for v in check(r.type, r.name, plain_inputs(r))
    ]
    assert violations == []


def test_hosted_flags_are_valid_powertools_feature_flags(run: MockRun) -> None:
    """The hosted content is Powertools' schema: feature_flags_valid and the profile's validator pass it."""
    hosted = only(run, HOSTED)
    inputs = plain_inputs(hosted)
    assert inputs["contentType"] == "application/json"
    document = json.loads(inputs["content"])
    SchemaValidator(document).validate()
    assert feature_flags_valid(hosted.type, hosted.name, inputs) == []
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(document, FLAGS_JSON_SCHEMA)
    assert document == build_flags_document(make_spec())


def test_hosted_flags_pass_feature_flags_valid_as_registered(run: MockRun) -> None:
    """feature_flags_valid accepts the hosted version exactly as the engine registered it."""
    hosted = only(run, HOSTED)
    assert feature_flags_valid(hosted.type, hosted.name, hosted.inputs) == []


def test_profile_is_hosted_freeform_with_a_schema_validator(run: MockRun) -> None:
    """Powertools' schema lives in a hosted freeform profile (FeatureFlags ones take AppConfig's format)."""
    profile = only(run, "aws:appconfig/configurationProfile:ConfigurationProfile").inputs
    assert profile["locationUri"] == "hosted"
    assert profile["type"] == "AWS.Freeform"
    assert [validator["type"] for validator in profile["validators"]] == ["JSON_SCHEMA"]
    assert json.loads(profile["validators"][0]["content"]) == FLAGS_JSON_SCHEMA


@pytest.mark.parametrize(
    ("stack", "growth_type", "duration"),
    [
        pytest.param("prod", "EXPONENTIAL", 20, id="prod"),
        pytest.param("production", "EXPONENTIAL", 20, id="production"),
        pytest.param("prod-eu", "EXPONENTIAL", 20, id="prod-eu"),
        pytest.param("dev", "LINEAR", 1, id="dev"),
        pytest.param("staging", "LINEAR", 1, id="staging"),
    ],
)
def test_strategy_follows_the_stack(stack: str, growth_type: str, duration: int) -> None:
    """Production rolls out over twenty minutes from 10%; other stacks within a minute."""
    run, _ = build(make_spec(), stack=stack)
    strategy = only(run, "aws:appconfig/deploymentStrategy:DeploymentStrategy").inputs
    assert strategy["growthType"] == growth_type
    assert strategy["deploymentDurationInMinutes"] == duration
    assert strategy["replicateTo"] == "NONE"
    assert only(run, "aws:appconfig/environment:Environment").inputs["name"] == stack
    assert strategy == {**strategy, **_strategy_inputs(default_strategy(stack))}


def _strategy_inputs(settings: DeploymentStrategySettings) -> dict[str, Any]:
    return {
        "growthType": settings["growth_type"],
        "growthFactor": settings["growth_factor"],
        "deploymentDurationInMinutes": settings["deployment_duration_minutes"],
        "finalBakeTimeInMinutes": settings["final_bake_time_minutes"],
    }


def test_strategy_argument_overrides_the_stack_default() -> None:
    """An explicit strategy is used as given."""
    settings: DeploymentStrategySettings = {
        "growth_type": "LINEAR",
        "growth_factor": 25,
        "deployment_duration_minutes": 60,
        "final_bake_time_minutes": 30,
    }
    run, _ = build(make_spec(), stack="prod", strategy=settings)
    strategy = only(run, "aws:appconfig/deploymentStrategy:DeploymentStrategy").inputs
    assert strategy == {**strategy, **_strategy_inputs(settings)}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"growth_factor": 0}, id="growth-zero"),
        pytest.param({"growth_factor": 101}, id="growth-over-100"),
        pytest.param({"deployment_duration_minutes": 1441}, id="duration-over-a-day"),
        pytest.param({"final_bake_time_minutes": -1}, id="negative-bake"),
    ],
)
def test_strategy_out_of_range_is_refused(change: dict[str, Any]) -> None:
    """Values AppConfig would refuse at deploy time fail at preview, naming the field."""
    settings = {**default_strategy("dev"), **change}
    with pytest.raises(RolloutLayerError, match=next(iter(change))):
        build(make_spec(), strategy=settings)


def test_environment_monitors_are_the_alarms_read_by_their_own_role(run: MockRun) -> None:
    """Each alarm is a monitor; AppConfig reads them with a role that may describe those alarms only."""
    role = only(run, "aws:iam/role:Role")
    environment = only(run, "aws:appconfig/environment:Environment").inputs
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{role.name}"
    assert environment["monitors"] == [{"alarmArn": alarm, "alarmRoleArn": role_arn} for alarm in ALARMS]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [statement["Principal"] for statement in trust] == [{"Service": "appconfig.amazonaws.com"}]
    (statement,) = json.loads(only(run, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert statement["Action"] == ["cloudwatch:DescribeAlarms"]
    assert statement["Resource"] == ALARMS


def test_first_deployment_waits_for_the_alarms_created_later() -> None:
    """The monitor policy names the alarms from the alarms' outputs; the deployment waits for it."""

    def program() -> None:
        alarms = [
            aws.cloudwatch.MetricAlarm(f"alarm-{index}", name=arn.rsplit(":", 1)[1])
            for index, arn in enumerate(ALARMS)
        ]
        created, give = pulumi.deferred_output()
        RolloutLayer(LAYER, {"spec": make_spec(), "alarm_arns": ALARMS, "created_alarm_arns": created})
        give(pulumi.Output.all(*(alarm.arn for alarm in alarms)))

    run = run_with_mocks(program)
    alarms = {alarm.urn for alarm in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    policy = only(run, "aws:iam/rolePolicy:RolePolicy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Resource"] == ALARMS
    assert alarms <= run.depends_on(policy)
    assert {policy.urn, *alarms} <= run.depends_on(only(run, "aws:appconfig/deployment:Deployment"))
    # The environment lists them as given: it cannot wait for them (see RolloutLayerArgs.alarm_arns).
    assert not alarms & run.depends_on(only(run, "aws:appconfig/environment:Environment"))


def test_deployment_deploys_the_hosted_version_to_the_stack_environment(run: MockRun) -> None:
    """The deployment names this layer's application, environment, profile, version and strategy."""
    deployment = only(run, "aws:appconfig/deployment:Deployment").inputs
    assert deployment == {
        **deployment,
        "applicationId": f"{LAYER}-app-id",
        "environmentId": f"{LAYER}-env-envid",
        "configurationProfileId": f"{LAYER}-profile-profid",
        "configurationVersion": "1",
        "deploymentStrategyId": f"{LAYER}-strategy-id",
    }


def test_outputs_locate_the_flags_for_the_execution_layer(built: tuple[MockRun, dict[str, Any]]) -> None:
    """flags_arn has the form the gate's grant expects; the env variables carry the same identifiers."""
    _, outputs = built
    assert re.fullmatch(
        r"arn:aws:appconfig:[a-z0-9-]+:\d{12}:application/[^/]+/environment/[^/]+/configuration/[^/]+",
        outputs["flags_arn"],
    )
    assert outputs["flags_arn"] == (
        f"arn:aws:appconfig:{REGION}:{ACCOUNT_ID}:application/{outputs['application_id']}"
        f"/environment/{outputs['environment_id']}/configuration/{outputs['profile_id']}"
    )
    assert outputs["environment_variables"] == {
        ENV_APPCONFIG_APPLICATION: outputs["application_id"],
        ENV_APPCONFIG_ENVIRONMENT: outputs["environment_id"],
        ENV_APPCONFIG_PROFILE: outputs["profile_id"],
    }
    assert set(outputs["environment_variables"]) == {
        "GOVERNED_APPCONFIG_APPLICATION",
        "GOVERNED_APPCONFIG_ENVIRONMENT",
        "GOVERNED_APPCONFIG_PROFILE",
    }
