"""The optional audit trail, both sides: off by default (nothing created, CloudTrail not let into the
archive); on, CloudTrail data events on the stack's tables, archive and functions into the locked
archive, for this trail only, and Bedrock invocation logging to a log group with the spec's retention."""

from __future__ import annotations

import json
from typing import Any

import pytest
from governed_assistant.infra import GovernedAssistant
from governed_assistant.infra.audit_trail import TRAIL_PREFIX
from governed_assistant.infra.invariants import check_resources
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, run_program, run_with_mocks
from governed_assistant.spec import AssistantSpec

from tests.conftest import REPO_ROOT
from tests.infra.test_assistant import NAME, SILENT, assistant_args, functions, make_spec
from tests.infra.test_program import LAYER_ARN, PROJECT

TRAIL_TYPE = "aws:cloudtrail/trail:Trail"
LOGGING_TYPE = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
BUCKET_ARN = f"arn:aws:s3:::{NAME}-audit-bucket-id"


@pytest.fixture(scope="module")
def spec() -> AssistantSpec:
    return make_spec()


def build(spec: AssistantSpec, **overrides: Any) -> MockRun:
    return run_with_mocks(
        lambda: GovernedAssistant(NAME, assistant_args(spec, **overrides)), project=spec.slug, stack="dev"
    )


@pytest.fixture(scope="module")
def on(spec: AssistantSpec) -> MockRun:
    return build(spec, audit_trail=True)


def archive_policy(run: MockRun) -> dict[str, dict[str, Any]]:
    (policy,) = [
        r
        for r in run.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.name == f"{NAME}-audit-bucket-tls-only"
    ]
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


@pytest.mark.parametrize(
    "setting", [pytest.param({}, id="unset"), pytest.param({"audit_trail": False}, id="false")]
)
def test_audit_trail_off_creates_nothing_and_keeps_cloudtrail_out(
    spec: AssistantSpec, setting: dict[str, Any]
) -> None:
    """Without the setting: no trail, no invocation logging, no CloudTrail grant on the archive."""
    run = build(spec, **setting)
    assert run.of_type(TRAIL_TYPE) == [] and run.of_type(LOGGING_TYPE) == []
    assert set(archive_policy(run)) == {"DenyInsecureTransport"}


def test_audit_trail_records_data_events_on_the_stacks_tables_archive_and_functions(on: MockRun) -> None:
    """Item calls on the three execution tables, object calls in the archive, each function's invocations."""
    (trail,) = on.of_type(TRAIL_TYPE)
    assert (trail.inputs["s3BucketName"], trail.inputs["s3KeyPrefix"]) == (
        f"{NAME}-audit-bucket-id",
        "cloudtrail",
    )
    assert trail.inputs["enableLogFileValidation"] is True
    selectors = {
        s["name"]: {f["field"]: f for f in s["fieldSelectors"]}
        for s in trail.inputs["advancedEventSelectors"]
    }
    assert set(selectors) == {"DynamoDB items", "S3 objects", "Lambda invocations"}
    assert all(fields["eventCategory"]["equals"] == ["Data"] for fields in selectors.values())
    tables = {
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{NAME}-execution-{t}"
        for t in ("jobs", "approvals", "idempotency")
    }
    assert set(selectors["DynamoDB items"]["resources.ARN"]["equals"]) == tables
    assert selectors["S3 objects"]["resources.ARN"]["startsWiths"] == [f"{BUCKET_ARN}/"]
    writers = {f.inputs["name"] for name, f in functions(on).items() if name not in SILENT}
    watched = {arn.rsplit(":", 1)[1] for arn in selectors["Lambda invocations"]["resources.ARN"]["equals"]}
    assert watched == writers


def test_archive_lets_in_only_this_trail(on: MockRun, spec: AssistantSpec) -> None:
    """CloudTrail may read the ACL and write under cloudtrail/AWSLogs/<account>/, for this trail only."""
    (trail,) = on.of_type(TRAIL_TYPE)
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/{trail.inputs['name']}"
    statements = archive_policy(on)
    write = statements["TrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert write["Resource"] == f"{BUCKET_ARN}/cloudtrail/AWSLogs/{ACCOUNT_ID}/*"
    assert write["Condition"]["StringEquals"] == {
        "aws:SourceArn": trail_arn,
        "aws:SourceAccount": ACCOUNT_ID,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    assert statements["TrailAclCheck"]["Condition"] == {
        "StringEquals": {"aws:SourceArn": trail_arn, "aws:SourceAccount": ACCOUNT_ID}
    }
    assert (statements["TrailAclCheck"]["Action"], statements["TrailAclCheck"]["Resource"]) == (
        "s3:GetBucketAcl",
        BUCKET_ARN,
    )


def test_bedrock_invocations_are_logged_to_a_retained_group(on: MockRun, spec: AssistantSpec) -> None:
    """Bedrock logs prompts and answers to a log group kept retention_days, through a role only Bedrock
    of this account may assume; never into the locked archive (the erasure must be able to age them out)."""
    (logging,) = on.of_type(LOGGING_TYPE)
    config = logging.inputs["loggingConfig"]
    assert "s3Config" not in config and config["textDataDeliveryEnabled"] is True
    (group,) = [
        g for g in on.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name == f"{NAME}-trail-invocations"
    ]
    assert config["cloudwatchConfig"]["logGroupName"] == group.inputs["name"]
    assert int(group.inputs["retentionInDays"]) == spec.observability.retention_days
    (role,) = [r for r in on.of_type("aws:iam/role:Role") if r.name == f"{NAME}-trail-invocation-logs-role"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}


def test_audit_trail_breaks_no_invariant(on: MockRun, spec: AssistantSpec) -> None:
    """The trail's roles and policies pass every governance invariant."""
    assert check_resources(on.resources, spec) == []


def test_readme_names_the_trails_setting_prefix_and_log_retention() -> None:
    """The README's trail paragraph names the setting, the prefix and where Bedrock's logs go."""
    readme = (REPO_ROOT / "template" / "README.md.jinja").read_text()
    text = " ".join(readme.split("## Audit evidence", 1)[1].split("\n## ", 1)[0].split())
    assert "`pulumi config set -s <stack> auditTrail true`; off by default" in text
    assert f"under the archive's `{TRAIL_PREFIX}/` prefix with log file validation on" in text
    assert "to a log group kept `observability.retention_days`" in text


@pytest.mark.parametrize(
    ("setting", "trails"), [pytest.param(True, 1, id="true"), pytest.param(False, 0, id="false")]
)
def test_program_reads_the_audit_trail_stack_setting(setting: bool, trails: int) -> None:
    """`auditTrail` in Pulumi.<stack>.yaml switches the trail and invocation logging on, per stack."""
    run = run_program(
        REPO_ROOT,
        project=PROJECT,
        stack="dev",
        config={"dependenciesLayerArn": LAYER_ARN, "auditTrail": setting},
    )
    assert (len(run.of_type(TRAIL_TYPE)), len(run.of_type(LOGGING_TYPE))) == (trails, trails)
