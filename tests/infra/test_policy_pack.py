"""The CrossGuard policy pack, run as the Pulumi CLI runs it: on the real pulumi-policy SDK, over gRPC.

The CLI starts ``python policypack`` in the pack's environment, reads the port it prints, and
calls the Analyzer service: ``GetAnalyzerInfo`` once, ``Analyze`` with each resource's inputs,
``AnalyzeStack`` with all of them. These tests do the same against a project directory holding
the template's pack and an ``assistant.yaml``, so the pack's imports, its policy names and
enforcement level, and the SDK's (de)serialisation of properties are all the real ones.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
from google.protobuf import empty_pb2, struct_pb2
from governed_assistant.infra.testing import MockRun, RegisteredResource
from governed_assistant.spec.answers import render_spec_yaml
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.deserialize import SPECIAL_ARCHIVE_SIG as ARCHIVE_SIG
from pulumi_policy.deserialize import SPECIAL_SIG_KEY as SIG_KEY

from tests.conftest import REPO_ROOT, preset_document
from tests.infra.test_assistant import build, make_spec

PACK = REPO_ROOT / "template" / "policypack"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TABLE = "aws:dynamodb/table:Table"
STEP_POLICY = "governed-step-"  # each execution step's role policy is named governed-step-<step>


@contextlib.contextmanager
def _serve(project: Path, spec_text: str) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack served from ``project`` with ``spec_text`` as its assistant.yaml."""
    shutil.copytree(PACK, project / "policypack")
    (project / "assistant.yaml").write_text(spec_text)
    process = subprocess.Popen(
        [sys.executable, "-u", "policypack"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip() if process.stdout else ""
        if not port.isdigit():
            process.kill()
            _, errors = process.communicate(timeout=10)
            pytest.fail(f"the policy pack did not start (printed {port!r}):\n{errors}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.communicate(timeout=10)


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack served from a project directory, as ``pulumi preview --policy-pack policypack`` serves it."""
    with _serve(tmp_path_factory.mktemp("project"), render_spec_yaml(preset_document())) as stub:
        yield stub


@pytest.fixture(scope="module")
def vpc_analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack of a project whose assistant.yaml says ``network: vpc``."""
    with _serve(
        tmp_path_factory.mktemp("vpc"), render_spec_yaml({**preset_document(), "network": "vpc"})
    ) as stub:
        yield stub


def _wire_value(value: Any) -> Any:
    """An archive or asset as the engine sends it: a map tagged with the SDK's signature."""
    if isinstance(value, pulumi.Archive):
        return {SIG_KEY: ARCHIVE_SIG, "path": str(getattr(value, "path", ""))}
    raise TypeError(f"cannot send {type(value).__name__} to the analyzer")


def _properties(inputs: dict[str, Any]) -> struct_pb2.Struct:
    properties = struct_pb2.Struct()
    properties.update(json.loads(json.dumps(inputs, default=_wire_value)))
    return properties


def _messages(response: analyzer_pb2.AnalyzeResponse) -> list[str]:
    """Each violation's message; every one must block the deploy."""
    assert {d.enforcementLevel for d in response.diagnostics} <= {analyzer_pb2.MANDATORY}
    return [diagnostic.message for diagnostic in response.diagnostics]


def analyze(stub: analyzer_pb2_grpc.AnalyzerStub, resource: RegisteredResource) -> list[str]:
    response = stub.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type=resource.type, name=resource.name, urn=resource.urn, properties=_properties(resource.inputs)
        )
    )
    return _messages(response)


def analyze_stack(stub: analyzer_pb2_grpc.AnalyzerStub, resources: list[RegisteredResource]) -> list[str]:
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type, name=r.name, urn=r.urn, properties=_properties(r.inputs), parent=r.parent
            )
            for r in resources
        ]
    )
    return _messages(stub.AnalyzeStack(request))


@pytest.fixture(scope="module")
def program() -> MockRun:
    return build(make_spec())


def test_pack_declares_every_invariant_as_mandatory(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """The CLI learns a mandatory policy per invariant: a violation blocks the deploy, not just warns."""
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "governed-assistant"
    names = {policy.name for policy in info.policies}
    assert {
        "tables-encrypted-and-recoverable",
        "every-step-has-one-policy",
        "approval-subscriptions-name-one-tenant",
    } <= names
    assert len(names) >= 10
    assert {policy.enforcementLevel for policy in info.policies} == {analyzer_pb2.MANDATORY}


def test_pack_passes_the_program_it_guards(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, program: MockRun
) -> None:
    """Every resource of the preset's program, and the stack as a whole, pass the pack."""
    problems = [
        f"{r.type} {r.name}: {m}" for r in program.resources if r.custom for m in analyze(analyzer, r)
    ]
    assert problems == []
    assert analyze_stack(analyzer, [r for r in program.resources if r.custom]) == []


def test_pack_blocks_a_table_without_recovery(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, program: MockRun
) -> None:
    """A table of the program with point-in-time recovery switched off is a violation."""
    table = program.of_type(TABLE)[0]
    broken = RegisteredResource(
        table.urn, table.type, table.name, table.parent, True, {**table.inputs, "pointInTimeRecovery": {}}
    )
    (message,) = analyze(analyzer, broken)
    assert "PITR is off" in message


def test_pack_blocks_a_stack_missing_a_step_policy(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, program: MockRun
) -> None:
    """Dropping one step's role policy from the stack is reported by the stack-wide policy."""
    step_policies = [
        r for r in program.of_type(ROLE_POLICY) if str(r.inputs.get("name", "")).startswith(STEP_POLICY)
    ]
    assert step_policies, "the program has step policies"
    dropped = step_policies[0]
    remaining = [r for r in program.resources if r.custom and r is not dropped]
    (message,) = analyze_stack(analyzer, remaining)
    assert repr(str(dropped.inputs["name"]).removeprefix(STEP_POLICY)) in message


def test_pack_blocks_an_approval_subscription_that_hears_every_tenant(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """An approver's subscription passes with its one-tenant filter and is blocked without it."""
    approver = {"tenant_id": "acme", "protocol": "email", "endpoint": "approvers@acme.example"}
    run = build(make_spec(), approval_subscriptions=[approver])
    (subscription,) = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert analyze(analyzer, subscription) == []
    unfiltered = {k: v for k, v in subscription.inputs.items() if k != "filterPolicy"}
    broken = RegisteredResource(
        subscription.urn, subscription.type, subscription.name, subscription.parent, True, unfiltered
    )
    (message,) = analyze(analyzer, broken)
    assert "does not name exactly one tenant" in message


def test_pack_guards_vpc_mode(vpc_analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """With network: vpc the program passes the pack, and a function taken out of the VPC is blocked."""
    program = build(make_spec(network="vpc"))
    problems = [
        f"{r.type} {r.name}: {m}" for r in program.resources if r.custom for m in analyze(vpc_analyzer, r)
    ]
    assert problems == []
    function = program.of_type("aws:lambda/function:Function")[0]
    public = {key: value for key, value in function.inputs.items() if key != "vpcConfig"}
    broken = RegisteredResource(function.urn, function.type, function.name, function.parent, True, public)
    (message,) = analyze(vpc_analyzer, broken)
    assert "runs outside the VPC" in message


def test_policy_pack_files_are_template_owned() -> None:
    """Each pack file says the template manages it, and the project file runs Python."""
    for name in ("PulumiPolicy.yaml", "__main__.py", "requirements.txt"):
        assert "Managed by the governed-assistant template" in (PACK / name).read_text().splitlines()[0]
    assert "pulumi-policy" in (PACK / "requirements.txt").read_text()
    assert "name: python" in (PACK / "PulumiPolicy.yaml").read_text()


def test_pack_requirements_name_the_sdk_range_the_tests_run() -> None:
    """The pack's pulumi-policy range is the one this repository's tests install and run."""
    requirement = next(
        line
        for line in (PACK / "requirements.txt").read_text().splitlines()
        if line.startswith("pulumi-policy")
    )
    assert requirement in (REPO_ROOT / "requirements-template.txt").read_text().splitlines()


def test_make_preview_and_up_pass_the_pack() -> None:
    """The generated Makefile's preview and up run the pack, as its README says."""
    recipes = (REPO_ROOT / "template" / "Makefile").read_text()
    for verb in ("preview", "up"):
        (line,) = [line for line in recipes.splitlines() if line.startswith(f"\tpulumi {verb} ")]
        assert "--policy-pack policypack" in line


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def kms_analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack of a project whose assistant.yaml sets ``kms_key`` to a key's ARN."""
    with _serve(
        tmp_path_factory.mktemp("kms-project"), render_spec_yaml({**preset_document(), "kms_key": KEY})
    ) as stub:
        yield stub


def test_pack_with_kms_key_passes_its_program_and_blocks_a_store_off_the_key(
    kms_analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """With kms_key set, the program on that key passes; a table on DynamoDB's own key is blocked, and so is a
    stack whose log groups name two keys."""
    run = build(make_spec(kms_key=KEY))
    assert [m for r in run.resources if r.custom for m in analyze(kms_analyzer, r)] == []
    assert analyze_stack(kms_analyzer, [r for r in run.resources if r.custom]) == []
    table = run.of_type(TABLE)[0]
    off_key = RegisteredResource(
        table.urn, table.type, table.name, table.parent, True,
        {**table.inputs, "serverSideEncryption": {"enabled": True}},
    )  # fmt: skip
    (message,) = analyze(kms_analyzer, off_key)
    assert "serverSideEncryption.kmsKeyArn" in message and KEY in message
    group = run.of_type("aws:cloudwatch/logGroup:LogGroup")[0]
    other = KEY.replace("1234abcd", "99999999")
    moved = RegisteredResource(
        group.urn, group.type, group.name, group.parent, True, {**group.inputs, "kmsKeyId": other}
    )
    stack = [moved if r is group else r for r in run.resources if r.custom]
    assert any("2 different keys" in m for m in analyze_stack(kms_analyzer, stack))
