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
        """Cloud resources registered outside any component: every one must have ``parent=``."""
        return [
            resource
            for resource in self.resources
            if resource.custom
            and (not resource.parent or _urn_type(resource.parent) == "pulumi:pulumi:Stack")
        ]


def _urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


# Identifiers AWS returns besides the resource id, by type: (output, value; "{name}" is filled in).
_EXTRA_OUTPUTS: dict[str, dict[str, Any]] = {
    "aws:dynamodb/table:Table": {"streamArn": "arn:{partition}:dynamodb:{region}:{account}:{name}/stream/1"},
    "aws:appconfig/environment:Environment": {"environmentId": "{name}-envid"},
    "aws:appconfig/configurationProfile:ConfigurationProfile": {"configurationProfileId": "{name}-profid"},
    "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": {"versionNumber": 1},
    "aws:bedrock/guardrail:Guardrail": {"guardrailId": "{name}-grid", "version": "DRAFT"},
    "aws:bedrock/guardrailVersion:GuardrailVersion": {"version": "1"},
    "aws:cognito/userPool:UserPool": {"endpoint": "cognito-idp.{region}.amazonaws.com/{name}-id"},
    "aws:apigatewayv2/api:Api": {"apiEndpoint": "https://{name}.execute-api.{region}.amazonaws.com"},
}


def _computed_outputs(
    typ: str, resource_id: str, inputs: dict[str, Any], arn: str, region: str, partition: str
) -> dict[str, Any]:
    """Outputs AWS computes from a resource's inputs (ARNs in the shape each service uses)."""
    prefix = f"arn:{partition}:{{service}}:{region}:{ACCOUNT_ID}:"
    if typ == "aws:bedrock/guardrail:Guardrail":
        return {
            "guardrailArn": prefix.format(service="bedrock") + f"guardrail/{resource_id}",
            "guardrailId": resource_id,
        }
    if typ == "aws:apigatewayv2/stage:Stage":
        return {"invokeUrl": f"https://{inputs.get('apiId')}.execute-api.{region}.amazonaws.com/"}
    if typ == "aws:lambda/function:Function":
        return {"invokeArn": f"arn:{partition}:apigateway:{region}:lambda:path/functions/{arn}/invocations"}
    if typ == "aws:opensearch/serverlessCollection:ServerlessCollection":
        return {
            "arn": prefix.format(service="aoss") + f"collection/{resource_id}",
            "collectionEndpoint": f"https://{resource_id}.{region}.aoss.amazonaws.com",
        }
    if typ == "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase":
        return {"arn": prefix.format(service="bedrock") + f"knowledge-base/{resource_id}"}
    if typ == "aws:rds/cluster:Cluster":
        secret = prefix.format(service="secretsmanager") + f"secret:rds!cluster-{resource_id}"
        return {
            "arn": prefix.format(service="rds") + f"cluster:{inputs.get('clusterIdentifier')}",
            "masterUserSecrets": [{"secretArn": secret, "secretStatus": "active"}],
        }
    # Alarms and delivery streams are named by ARNs built from their names (their names are
    # fixed so other layers can); the mocks make those ARNs as AWS does, from the name, so a
    # reference built that way is recognised as one to the resource.
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return {"arn": prefix.format(service="cloudwatch") + f"alarm:{inputs.get('name') or resource_id}"}
    if typ == "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
        stream = inputs.get("name") or resource_id
        return {"arn": prefix.format(service="firehose") + f"deliverystream/{stream}"}
    if typ == "aws:s3/bucket:Bucket":
        return {"arn": f"arn:{partition}:s3:::{resource_id}", "bucket": resource_id}
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
        resource_id = f"{args.name}-id"
        outputs = dict(args.inputs)
        service = args.typ.split(":")[1].split("/")[0] if args.typ.startswith("aws:") else "custom"
        outputs.setdefault("arn", f"arn:{self.partition}:{service}:{self.region}:{ACCOUNT_ID}:{args.name}")
        outputs.setdefault("name", args.inputs.get("name", args.name))
        for key, value in _EXTRA_OUTPUTS.get(args.typ, {}).items():
            filled = (
                value.format(name=args.name, region=self.region, account=ACCOUNT_ID, partition=self.partition)
                if isinstance(value, str)
                else value
            )
            outputs.setdefault(key, filled)
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
