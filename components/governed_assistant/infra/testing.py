"""Evaluate a Pulumi program under the SDK's mocks and inspect what it registered.

Pitfalls this module handles for you (each has bitten someone):
- a fresh event loop and ``reset_options`` per run, so runs never share state;
- every resource gets a plausible id and ARN per type, as AWS would return;
- an invoke the mocks do not know raises instead of returning ``{}`` silently;
- duplicate URNs are reported (the mock monitor would overwrite one silently);
- the run is awaited through ``pulumi.runtime.test``, so failures inside ``apply`` surface;
- each registration keeps what the engine would order it by (the URNs it depends on, by
  property and in all) and the outputs the mocks answered, so a test can check that every
  ARN a resource names is one it waits for (``MockRun.depends_on``);
- stack configuration is set from ``Pulumi.<stack>.yaml`` (``run_program``) or ``config=``, and
  cleared afterwards, as the CLI would pass it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import runpy
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks

from governed_assistant.spec.models import region_partition

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# Explicit providers register as resources of type ``pulumi:providers:<package>``.
PROVIDER_TYPE_PREFIX = "pulumi:providers:"


def _known_invokes(region: str, partition: str) -> dict[str, dict[str, Any]]:
    """The data sources the programs read, answered as AWS would in ``region``."""
    return {
        "aws:index/getCallerIdentity:getCallerIdentity": {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:{partition}:iam::{ACCOUNT_ID}:user/test",
            "userId": "AIDTEST",
            "id": ACCOUNT_ID,
        },
        "aws:index/getRegion:getRegion": {"name": region, "region": region, "id": region},
        # Three zones, as most regions have; the private network takes the first two.
        "aws:index/getAvailabilityZones:getAvailabilityZones": {
            "names": [f"{region}a", f"{region}b", f"{region}c"],
            "zoneIds": [f"use1-az{n}" for n in (1, 2, 4)],
            "state": "available",
            "id": region,
        },
        "aws:index/getPartition:getPartition": {
            "partition": partition,
            "dnsSuffix": "amazonaws.com",
            "id": partition,
        },
    }


class UnknownInvokeError(AssertionError):
    """When the program calls a data source these mocks do not answer."""


@dataclass(frozen=True)
class RegisteredResource:
    """One resource the program registered, as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: frozenset[str] = frozenset()
    """The URNs it waits for: its inputs' resources and its ``depends_on`` (the engine's order)."""
    property_dependencies: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per input, the URNs its value came from."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the mocks answered (its ``arn``, ids...)."""
    order: int = 0
    """Its place in the order the program registered resources (0 first)."""
    id: str = ""
    """The id the mocks gave it (empty for components)."""
    provider: str = ""
    """The provider reference (``<provider urn>::<id>``) it was registered with; empty for the
    default provider (and for components, which have none)."""
    protect: bool | None = None
    """Its ``protect`` option; None when not set on it."""
    retain_on_delete: bool | None = None
    """Its ``retain_on_delete`` option; None when not set on it."""


@dataclass
class MockRun:
    """Everything one program evaluation registered."""

    resources: list[RegisteredResource] = field(default_factory=list)

    def of_type(self, type_: str) -> list[RegisteredResource]:
        return [resource for resource in self.resources if resource.type == type_]

    def types(self) -> Counter[str]:
        return Counter(resource.type for resource in self.resources)

    def duplicate_urns(self) -> list[str]:
        counts = Counter(resource.urn for resource in self.resources)
        return [urn for urn, count in counts.items() if count > 1]

    def by_urn(self) -> dict[str, RegisteredResource]:
        return {resource.urn: resource for resource in self.resources}

    def depends_on(self, resource: RegisteredResource) -> set[str]:
        """Every URN ``resource`` waits for, directly or through the resources it waits for."""
        registered = self.by_urn()
        found: set[str] = set()
        pending = list(resource.dependencies)
        while pending:
            urn = pending.pop()
            if urn not in found:
                found.add(urn)
                known = registered.get(urn)
                pending.extend(known.dependencies if known else ())
        return found

    def unordered_references(self) -> list[tuple[str, str]]:
        """``(resource, named)`` for each ARN a resource's inputs name that is another resource's of
        this run, but not one it waits for: on a first deploy it may be created before ``named``.

        A reference matches the ARN the mocks gave ``named``, whole (it may go on with ``/...``
        or ``:...``, as ``<bucket arn>/*`` does, but not with more of a name).
        """
        # Each resource's own ARN, as the mocks made it (an EventBridge target's ``arn`` output is
        # its input, the ARN of what it targets: not its own).
        owners = {
            resource.outputs["arn"]: resource
            for resource in self.resources
            if resource.custom
            and isinstance(resource.outputs.get("arn"), str)
            and "arn" not in resource.inputs
        }
        if not owners:
            return []
        longest_first = sorted(owners, key=len, reverse=True)
        pattern = re.compile("(?:" + "|".join(map(re.escape, longest_first)) + ")(?![-A-Za-z0-9_.])")
        found: list[tuple[str, str]] = []
        for resource in self.resources:
            named = {
                owners[arn].urn: owners[arn].name
                for arn in pattern.findall(json.dumps(resource.inputs, default=repr))
            }
            waits_for = self.depends_on(resource) if named else set()
            found.extend(
                (resource.name, name)
                for urn, name in named.items()
                if urn != resource.urn and urn not in waits_for
            )
        return sorted(found)

    def orphans(self) -> list[RegisteredResource]:
        """Cloud resources registered outside any component: every one must have ``parent=``.

        A provider is no cloud resource: the program creates it at the top and hands it down.
        """
        return [
            resource
            for resource in self.resources
            if resource.custom
            and not resource.type.startswith(PROVIDER_TYPE_PREFIX)
            and (not resource.parent or _urn_type(resource.parent) == "pulumi:pulumi:Stack")
        ]

    def providers(self) -> dict[str, RegisteredResource]:
        """The explicit providers the program created, by the reference resources name them with."""
        return {
            f"{resource.urn}::{resource.id}": resource
            for resource in self.resources
            if resource.type.startswith(PROVIDER_TYPE_PREFIX)
        }


def _urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


# Identifiers AWS returns besides the resource id, by type: (output, value; "{name}" is filled in).
_EXTRA_OUTPUTS: dict[str, dict[str, Any]] = {
    "aws:appconfig/environment:Environment": {"environmentId": "{name}-envid"},
    "aws:appconfig/configurationProfile:ConfigurationProfile": {"configurationProfileId": "{name}-profid"},
    "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": {"versionNumber": 1},
    "aws:bedrock/guardrail:Guardrail": {"guardrailId": "{name}-grid", "version": "DRAFT"},
    "aws:bedrock/guardrailVersion:GuardrailVersion": {"version": "1"},
    "aws:cognito/userPool:UserPool": {"endpoint": "cognito-idp.{region}.amazonaws.com/{name}-id"},
    "aws:apigatewayv2/api:Api": {"apiEndpoint": "https://{name}.execute-api.{region}.amazonaws.com"},
    # A gateway endpoint's prefix list (security group rules name it); AWS sets it for gateways only.
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"prefixListId": "pl-{name}"},
}

# The ARN AWS gives each type, after ``arn:<partition>:``, in the format the Service
# Authorization Reference lists under the service's resource types (so IAM linters can match
# grants against it). ``{logical}`` is the resource's logical name: the mocks name resources
# after it, so tests find a resource in an ARN by the name they gave it; ``{id}`` is the mock
# id; any other field is the input (or extra output) of that name.
_ARNS: dict[str, str] = {
    "aws:apigatewayv2/api:Api": "apigateway:{region}::/apis/{id}",
    "aws:apigatewayv2/stage:Stage": "apigateway:{region}::/apis/{apiId}/stages/{name}",
    "aws:appconfig/application:Application": "appconfig:{region}:{account}:application/{id}",
    "aws:appconfig/environment:Environment": (
        "appconfig:{region}:{account}:application/{applicationId}/environment/{environmentId}"
    ),
    "aws:appconfig/configurationProfile:ConfigurationProfile": (
        "appconfig:{region}:{account}:application/{applicationId}/configurationprofile/{configurationProfileId}"
    ),
    "aws:appconfig/deploymentStrategy:DeploymentStrategy": (
        "appconfig:{region}:{account}:deploymentstrategy/{id}"
    ),
    "aws:appconfig/deployment:Deployment": (
        "appconfig:{region}:{account}:application/{applicationId}/environment/{environmentId}/deployment/1"
    ),
    "aws:bedrock/guardrail:Guardrail": "bedrock:{region}:{account}:guardrail/{id}",
    "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase": "bedrock:{region}:{account}:knowledge-base/{id}",
    "aws:cloudwatch/dashboard:Dashboard": "cloudwatch::{account}:dashboard/{logical}",
    "aws:cloudwatch/eventBus:EventBus": "events:{region}:{account}:event-bus/{logical}",
    "aws:cloudwatch/logGroup:LogGroup": "logs:{region}:{account}:log-group:{logical}",
    "aws:cloudwatch/logStream:LogStream": (
        "logs:{region}:{account}:log-group:{logGroupName}:log-stream:{logical}"
    ),
    # Alarms and delivery streams are named by ARNs built from their names (fixed, so other layers
    # can); their ARNs carry that name, as AWS's do, so such a reference is recognised as one.
    "aws:cloudwatch/metricAlarm:MetricAlarm": "cloudwatch:{region}:{account}:alarm:{name}",
    "aws:cognito/userPool:UserPool": "cognito-idp:{region}:{account}:userpool/{id}",
    "aws:dynamodb/table:Table": "dynamodb:{region}:{account}:table/{logical}",
    "aws:iam/policy:Policy": "iam::{account}:policy/{logical}",
    "aws:iam/role:Role": "iam::{account}:role/{logical}",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (
        "firehose:{region}:{account}:deliverystream/{name}"
    ),
    "aws:kms/key:Key": "kms:{region}:{account}:key/{id}",
    "aws:lambda/function:Function": "lambda:{region}:{account}:function:{logical}",
    "aws:lambda/layerVersion:LayerVersion": "lambda:{region}:{account}:layer:{logical}:1",
    # OpenSearch Service domains keep the service prefix of their Elasticsearch days.
    "aws:opensearch/domain:Domain": "es:{region}:{account}:domain/{logical}",
    "aws:opensearch/serverlessCollection:ServerlessCollection": "aoss:{region}:{account}:collection/{id}",
    "aws:rds/cluster:Cluster": "rds:{region}:{account}:cluster:{clusterIdentifier}",
    "aws:rds/clusterInstance:ClusterInstance": "rds:{region}:{account}:db:{logical}",
    "aws:s3/bucket:Bucket": "s3:::{id}",
    # Secrets Manager appends six random characters to a secret's name in its ARN.
    "aws:secretsmanager/secret:Secret": "secretsmanager:{region}:{account}:secret:{logical}-AbCdEf",
    "aws:sfn/stateMachine:StateMachine": "states:{region}:{account}:stateMachine:{logical}",
    "aws:sns/topic:Topic": "sns:{region}:{account}:{logical}",
    "aws:sqs/queue:Queue": "sqs:{region}:{account}:{logical}",
}


def _arn(typ: str, name: str, resource_id: str, fields: Mapping[str, Any], partition: str) -> str | None:
    """The ARN of a ``typ`` resource in AWS's format for it; None for a type not in ``_ARNS``."""
    if typ == "aws:cloudwatch/eventRule:EventRule":
        # A rule on a custom bus carries the bus's name; on the default bus it does not.
        bus = fields.get("eventBusName") or "default"
        rule = name if bus == "default" else f"{bus}/{name}"
        return f"arn:{partition}:events:{fields['region']}:{ACCOUNT_ID}:rule/{rule}"
    template = _ARNS.get(typ)
    if template is None:
        return None
    return f"arn:{partition}:" + template.format_map(
        _Fields(fields, logical=name, id=resource_id, account=ACCOUNT_ID)
    )


class _Fields(dict[str, Any]):
    """Format fields; one the resource did not set (a name Pulumi would generate) is its logical name."""

    def __missing__(self, key: str) -> Any:
        return self["logical"]


def mock_id(resource_type: str, name: str) -> str:
    """The id the mocks give a ``resource_type`` resource whose logical name is ``name``."""
    # KMS gives a key a UUID for its id, never a name (an ARN check may rely on that shape).
    if resource_type == "aws:kms/key:Key":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))
    return f"{name}-id"


def mock_arn(resource_type: str, name: str, *, region: str = REGION, **fields: str) -> str:
    """The ARN the mocks give a ``resource_type`` resource whose logical name is ``name``.

    ``fields`` are the inputs its format reads besides the name (``logGroupName``, ``eventBusName``...).
    """
    found = _arn(
        resource_type,
        name,
        mock_id(resource_type, name),
        {**fields, "region": region},
        region_partition(region),
    )
    if found is None:
        raise KeyError(f"the mocks have no ARN format for {resource_type}; add it to _ARNS")
    return found


def _computed_outputs(
    typ: str, resource_id: str, inputs: dict[str, Any], arn: str, region: str, partition: str
) -> dict[str, Any]:
    """Outputs AWS computes from a resource's inputs and ARN."""
    prefix = f"arn:{partition}:{{service}}:{region}:{ACCOUNT_ID}:"
    if typ == "aws:bedrock/guardrail:Guardrail":
        return {"guardrailArn": arn, "guardrailId": resource_id}
    if typ == "aws:apigatewayv2/api:Api":
        return {"executionArn": f"arn:{partition}:execute-api:{region}:{ACCOUNT_ID}:{resource_id}"}
    if typ == "aws:apigatewayv2/stage:Stage":
        return {
            "invokeUrl": f"https://{inputs.get('apiId')}.execute-api.{region}.amazonaws.com/",
            "executionArn": f"arn:{partition}:execute-api:{region}:{ACCOUNT_ID}:"
            f"{inputs.get('apiId')}/{inputs.get('name')}",
        }
    if typ == "aws:dynamodb/table:Table":
        return {"streamArn": f"{arn}/stream/2024-01-01T00:00:00.000"}
    if typ == "aws:lambda/function:Function":
        return {"invokeArn": f"arn:{partition}:apigateway:{region}:lambda:path/functions/{arn}/invocations"}
    if typ == "aws:lambda/layerVersion:LayerVersion":
        return {"layerArn": arn.rsplit(":", 1)[0], "version": "1"}
    if typ == "aws:sqs/queue:Queue":
        return {"url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{arn.rsplit(':', 1)[1]}"}
    if typ == "aws:opensearch/serverlessCollection:ServerlessCollection":
        return {"collectionEndpoint": f"https://{resource_id}.{region}.aoss.amazonaws.com"}
    if typ == "aws:rds/cluster:Cluster":
        secret = prefix.format(service="secretsmanager") + f"secret:rds!cluster-{resource_id}"
        return {"masterUserSecrets": [{"secretArn": secret, "secretStatus": "active"}]}
    if typ == "aws:s3/bucket:Bucket":
        return {"bucket": resource_id}
    if typ == "aws:bedrock/agentDataSource:AgentDataSource":
        return {"dataSourceId": resource_id}
    if typ == "aws:opensearch/domain:Domain":
        return {"endpoint": f"search-{resource_id}.{region}.es.amazonaws.com"}
    return {}


class GovernedMocks(pulumi_mocks.Mocks):
    """Answers resources with an id and an ARN shaped like AWS's in ``region``, and only known invokes."""

    def __init__(self, region: str = REGION) -> None:
        super().__init__()
        self.region = region
        self.partition = region_partition(region)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id = mock_id(args.typ, args.name)
        outputs = dict(args.inputs)
        outputs.setdefault("name", args.inputs.get("name", args.name))
        for key, value in _EXTRA_OUTPUTS.get(args.typ, {}).items():
            filled = (
                value.format(name=args.name, region=self.region, account=ACCOUNT_ID, partition=self.partition)
                if isinstance(value, str)
                else value
            )
            outputs.setdefault(key, filled)
        fields = {**outputs, "region": self.region}
        arn = _arn(args.typ, args.name, resource_id, fields, self.partition)
        if arn is not None:
            outputs["arn"] = arn
        else:
            # A type not in _ARNS: an ARN-shaped placeholder (add the type to _ARNS if a policy uses it).
            service = args.typ.split(":")[1].split("/")[0] if args.typ.startswith("aws:") else "custom"
            outputs.setdefault(
                "arn", f"arn:{self.partition}:{service}:{self.region}:{ACCOUNT_ID}:{args.name}"
            )
        outputs.update(
            _computed_outputs(
                args.typ, resource_id, dict(args.inputs), outputs["arn"], self.region, self.partition
            )
        )
        return resource_id, outputs

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        known = _known_invokes(self.region, self.partition)
        if args.token not in known:
            raise UnknownInvokeError(f"the mocks do not answer invoke {args.token}; add it to _known_invokes")
        return dict(known[args.token]), []  # no check failures


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks, run: MockRun) -> None:
        super().__init__(mocks)
        self._run = run
        self._order = itertools.count()
        self._order_lock = threading.Lock()
        # The mock monitor opens an event loop in each worker thread and never closes it;
        # we collect them to close after the run (else ResourceWarnings fail strict tests).
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()

    def _note_thread_loop(self) -> None:
        try:
            self.thread_loops.add(asyncio.get_event_loop_policy().get_event_loop())
        except RuntimeError:  # this thread never opened one
            return

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        try:
            return super().Invoke(request)  # type: ignore[no-untyped-call]
        finally:
            self._note_thread_loop()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        with self._order_lock:
            order = next(self._order)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self._note_thread_loop()
        # Secret inputs (pulumi_aws marks some, e.g. a hosted configuration's content) are
        # recorded as their plain values: the checks read what AWS would receive.
        inputs, _ = pulumi.runtime.rpc.deserialize_properties_unwrap_secrets(request.object)
        outputs, _ = pulumi.runtime.rpc.deserialize_properties_unwrap_secrets(response.object)
        self._run.resources.append(
            RegisteredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                inputs=dict(inputs),
                dependencies=frozenset(request.dependencies),
                property_dependencies={
                    key: frozenset(value.urns) for key, value in request.propertyDependencies.items()
                },
                outputs=dict(outputs),
                order=order,
                id=response.id,
                provider=request.provider,
                protect=request.protect if request.HasField("protect") else None,
                retain_on_delete=request.retainOnDelete if request.HasField("retainOnDelete") else None,
            )
        )
        return response


def run_with_mocks(
    program: Callable[[], Any],
    *,
    project: str = "assistant",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    region: str = REGION,
) -> MockRun:
    """Evaluate ``program`` (which builds resources) under mocks and return what it registered.

    ``config`` is the stack's configuration, keys namespaced as in ``Pulumi.<stack>.yaml``
    (``"<project>:protectData"``; a bare key gets the project's namespace). ``region`` is where
    the mocks pretend to deploy: its partition is in every ARN they make.
    """
    run = MockRun()
    mocks = GovernedMocks(region)
    monitor = _RecordingMonitor(mocks, run)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.reset_options(project=project, stack=stack)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
        pulumi.runtime.set_all_config(_config_values(project, config or {}))

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def evaluate() -> None:
            # The program's return value is dropped: ``pulumi.runtime.test`` would try to
            # await it as an Output (runpy's globals dict trips a warning doing so).
            program()

        evaluate()
    finally:
        pulumi.runtime.set_all_config({})
        loop.run_until_complete(loop.shutdown_default_executor())
        for thread_loop in monitor.thread_loops - {loop}:
            thread_loop.close()
        asyncio.set_event_loop(None)
        loop.close()
    return run


def _config_values(project: str, config: Mapping[str, Any]) -> dict[str, str]:
    # The CLI hands every value to the program as a string; objects and lists as JSON.
    values = {}
    for key, value in config.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, bool):
            values[full] = "true" if value else "false"
        elif isinstance(value, dict | list):
            values[full] = json.dumps(value)
        else:
            values[full] = str(value)
    return values


def stack_config(directory: Path, stack: str) -> dict[str, Any]:
    """The ``config:`` block of ``directory/Pulumi.<stack>.yaml``; empty when the file is missing."""
    path = directory / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    document = yaml.safe_load(path.read_text()) or {}
    return dict(document.get("config") or {})


def run_program(
    directory: Path, *, project: str, stack: str = "test", config: Mapping[str, Any] | None = None
) -> MockRun:
    """Evaluate a project's ``__main__.py`` under mocks, from its own directory (as ``pulumi up`` does).

    The stack's configuration is ``Pulumi.<stack>.yaml``'s, then ``config`` on top of it.
    """
    settings = {**stack_config(directory, stack), **(config or {})}
    previous = os.getcwd()
    os.chdir(directory)
    try:
        return run_with_mocks(
            lambda: runpy.run_path("__main__.py"), project=project, stack=stack, config=settings
        )
    finally:
        os.chdir(previous)
