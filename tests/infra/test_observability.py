"""The observability layer under mocks: the decision-event pipeline, its alarms and dashboard."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pulumi
import pytest
from governed_assistant.contracts import DecisionEvent
from governed_assistant.infra import testing
from governed_assistant.infra.dashboard import STAGES
from governed_assistant.infra.decision_delivery import DECISION_EVENT_FILTER
from governed_assistant.infra.decision_index import (
    INDEX_PATTERN,
    INDEX_PREFIX,
    WRITER_ROLE,
    decision_index_template,
    ism_policy,
)
from governed_assistant.infra.observability import ObservabilityLayer, ObservabilityLayerArgs
from governed_assistant.infra.search_domain import TLS_POLICY
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, run_with_mocks
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.wire import METRIC_BREAKER_OPEN, METRIC_GUARDRAIL_BLOCKED, METRIC_STAGE_LATENCY

from tests.conftest import PRESETS, REPO_ROOT, preset_document

LAYER = "assistant-observability"
MASTER = f"arn:aws:iam::{ACCOUNT_ID}:role/search-admin"
EVENT_GROUPS = ["/aws/lambda/assistant-test-gate", "/aws/lambda/assistant-test-execute", "/aws/lambda/chat"]
FUNCTIONS = ["assistant-test-gate", "assistant-test-execute"]
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:assistant-test-jobs"
NAMESPACE = "Governed/Assistant"

ALWAYS = {
    "governed:observability:ObservabilityLayer": 1,
    "aws:cloudwatch/queryDefinition:QueryDefinition": 1,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 4 + len(FUNCTIONS),
    "aws:cloudwatch/dashboard:Dashboard": 1,
}
SEARCH = {
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": 1,
    "aws:opensearch/domain:Domain": 1,
    "aws:opensearch/domainPolicy:DomainPolicy": 1,
    "aws:lambda/function:Function": 2,
    "aws:lambda/invocation:Invocation": 1,
    # transform, setup, delivery (Firehose) and subscription (CloudWatch Logs) roles.
    "aws:iam/role:Role": 4,
    # Each role's, and the transformation's put-back grant, which comes after the stream.
    "aws:iam/rolePolicy:RolePolicy": 5,
    "aws:cloudwatch/logGroup:LogGroup": 3,
    "aws:cloudwatch/logStream:LogStream": 1,
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": len(EVENT_GROUPS),
    "aws:s3/bucket:Bucket": 1,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
    "aws:s3/bucketVersioning:BucketVersioning": 1,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
    "aws:s3/bucketPolicy:BucketPolicy": 1,
}


def preset_spec(preset: str, *, opensearch: bool = True) -> AssistantSpec:
    spec = parse_spec(render_spec_yaml(preset_document(preset)))
    return spec.model_copy(
        update={"observability": spec.observability.model_copy(update={"opensearch": opensearch})}
    )


def observability_args(spec: AssistantSpec) -> ObservabilityLayerArgs:
    return {
        "spec": spec,
        "code": {
            "archive": pulumi.FileArchive(str(REPO_ROOT / "components")),
            "layer_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:deps:1",
            "runtime": "python3.12",
            "architecture": "arm64",
        },
        "transform_handler": "governed_assistant.handlers.events.transform",
        "setup_handler": "governed_assistant.handlers.events.setup",
        "master_user_arn": MASTER,
        "domain": {"instance_type": "t3.medium.search", "instance_count": 2, "volume_gb": 20},
        "metrics_namespace": NAMESPACE,
        "event_log_group_names": EVENT_GROUPS,
        "function_names": FUNCTIONS,
        "state_machine_arn": MACHINE,
        "api_id": "a1b2c3",
        "alarm_actions": [f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:oncall"],
        "protect_data": False,
    }


def build(spec: AssistantSpec, outputs: dict[str, Any] | None = None) -> MockRun:
    def program() -> None:
        layer = ObservabilityLayer(LAYER, observability_args(spec))
        if outputs is not None:
            for key in ("delivery_stream_name", "domain_endpoint", "dashboard_url", "alarm_arns"):
                getattr(layer, key).apply(lambda value, key=key: outputs.__setitem__(key, value))

    return run_with_mocks(program, project=spec.slug)


def mock_arn(resource_type: str, name: str) -> str:
    return testing.mock_arn(resource_type, name)


def only(run: MockRun, resource_type: str, name: str | None = None) -> RegisteredResource:
    matches = [r for r in run.of_type(resource_type) if name is None or r.name == name]
    assert len(matches) == 1, f"{resource_type} {name}: {[r.name for r in matches]}"
    return matches[0]


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, bool], MockRun]:
    return {
        (preset, on): build(preset_spec(preset, opensearch=on)) for preset in PRESETS for on in (True, False)
    }


@pytest.fixture(scope="module")
def run(runs: dict[tuple[str, bool], MockRun]) -> MockRun:
    return runs[("bounded-action", True)]


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("opensearch", [True, False], ids=["opensearch", "logs-only"])
def test_observability_inventory_per_preset(
    runs: dict[tuple[str, bool], MockRun], preset: str, opensearch: bool
) -> None:
    """OpenSearch adds the search pipeline; alarms, dashboard and the saved query are always there."""
    run = runs[(preset, opensearch)]
    types = run.types()
    del types["pulumi:pulumi:Stack"]
    assert types == Counter({**ALWAYS, **(SEARCH if opensearch else {})})
    assert run.orphans() == []
    assert run.duplicate_urns() == []


def test_outputs_name_the_pipeline_or_none_without_opensearch() -> None:
    """With OpenSearch off the stream and endpoint outputs are None; the dashboard and alarms remain."""
    on: dict[str, Any] = {}
    off: dict[str, Any] = {}
    build(preset_spec("bounded-action"), on)
    build(preset_spec("bounded-action", opensearch=False), off)
    assert on["delivery_stream_name"] == "assistant-test-decisions"
    # The mocks echo inputs, and a domain's endpoint is computed by AWS: it is only seen to be set.
    assert "domain_endpoint" in on
    assert off["delivery_stream_name"] is None
    assert off["domain_endpoint"] is None
    for outputs in (on, off):
        assert outputs["dashboard_url"] == (
            f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
            "#dashboards/dashboard/assistant-test-decisions"
        )
        assert len(outputs["alarm_arns"]) == 4 + len(FUNCTIONS)


def test_domain_is_encrypted_https_only_with_fine_grained_access(run: MockRun) -> None:
    """Encryption at rest and between nodes, HTTPS with TLS 1.2+, FGAC with an IAM master user."""
    domain = only(run, "aws:opensearch/domain:Domain").inputs
    assert domain["encryptAtRest"] == {"enabled": True}
    assert domain["nodeToNodeEncryption"] == {"enabled": True}
    assert domain["domainEndpointOptions"] == {"enforceHttps": True, "tlsSecurityPolicy": TLS_POLICY}
    assert domain["advancedSecurityOptions"] == {
        "enabled": True,
        "internalUserDatabaseEnabled": False,
        "anonymousAuthEnabled": False,
        "masterUserOptions": {"masterUserArn": MASTER},
    }
    assert len(domain["domainName"]) <= 28
    assert domain["clusterConfig"]["zoneAwarenessEnabled"] is True


def test_domain_is_reachable_only_by_the_master_user_and_firehose(run: MockRun) -> None:
    """The access policy names two principals and the domain's own ARN."""
    policy = json.loads(only(run, "aws:opensearch/domainPolicy:DomainPolicy").inputs["accessPolicies"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {
        "AWS": [MASTER, mock_arn("aws:iam/role:Role", f"{LAYER}-delivery-role")]
    }
    assert statement["Resource"] == mock_arn("aws:opensearch/domain:Domain", f"{LAYER}-search") + "/*"


def test_firehose_transforms_then_indexes_and_backs_up_failures(run: MockRun) -> None:
    """Firehose runs the transformation Lambda, indexes daily, and keeps failed documents in S3."""
    stream = only(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").inputs
    assert stream["destination"] == "opensearch"
    assert stream["serverSideEncryption"] == {"enabled": True, "keyType": "AWS_OWNED_CMK"}
    config = stream["opensearchConfiguration"]
    assert config["domainArn"] == mock_arn("aws:opensearch/domain:Domain", f"{LAYER}-search")
    assert (config["indexName"], config["indexRotationPeriod"]) == (INDEX_PREFIX, "OneDay")
    assert config["s3BackupMode"] == "FailedDocumentsOnly"
    # S3 ARNs name the bucket alone (no region, no account); the mocks answer with the bucket id.
    assert config["s3Configuration"]["bucketArn"] == f"arn:aws:s3:::{LAYER}-failed-id"
    (processor,) = config["processingConfiguration"]["processors"]
    assert processor["type"] == "Lambda"
    assert processor["parameters"] == [
        {
            "parameterName": "LambdaArn",
            "parameterValue": mock_arn("aws:lambda/function:Function", f"{LAYER}-transform") + ":$LATEST",
        }
    ]
    assert config["cloudwatchLoggingOptions"]["enabled"] is True


def test_transformation_puts_events_back_on_its_stream_once_the_stream_exists(run: MockRun) -> None:
    """The put-back grant names the stream from its output; no envelope flows before that grant."""
    stream = only(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    put_back = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-transform-put-back")
    assert json.loads(put_back.inputs["policy"])["Statement"] == [
        {
            "Sid": "PutBackEvents",
            "Effect": "Allow",
            "Action": ["firehose:PutRecordBatch"],
            "Resource": stream.outputs["arn"],
        }
    ]
    assert put_back.inputs["role"] == f"{LAYER}-transform-role-id"
    assert stream.urn in run.depends_on(put_back)
    for subscription in run.of_type("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"):
        assert put_back.urn in subscription.dependencies


def test_failed_events_bucket_is_private_versioned_and_encrypted(run: MockRun) -> None:
    """The backup bucket blocks public access, keeps versions, encrypts, and refuses plain HTTP."""
    block = only(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[key] is True
        for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert only(run, "aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    (rule,) = only(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    (deny,) = json.loads(only(run, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_every_event_log_group_is_forwarded_to_firehose(run: MockRun) -> None:
    """One subscription filter per event log group, matching decision events only."""
    filters = run.of_type("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    assert sorted(f.inputs["logGroup"] for f in filters) == sorted(EVENT_GROUPS)
    stream = only(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    stream_arn = f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{stream.inputs['name']}"
    assert {(f.inputs["filterPattern"], f.inputs["destinationArn"]) for f in filters} == {
        (DECISION_EVENT_FILTER, stream_arn)
    }
    trust = json.loads(
        only(run, "aws:iam/role:Role", f"{LAYER}-subscription-role").inputs["assumeRolePolicy"]
    )
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:*"},
    }


def test_setup_invocation_applies_template_policy_and_role_mapping(spec: AssistantSpec, run: MockRun) -> None:
    """The Invocation carries the index template, the ISM policy and Firehose's role mapping."""
    invocation = only(run, "aws:lambda/invocation:Invocation").inputs
    assert invocation["functionName"] == "assistant-test-events-setup"
    payload = json.loads(invocation["input"])
    assert payload["indexTemplate"] == {"name": INDEX_PREFIX, "body": decision_index_template(replicas=1)}
    assert payload["ismPolicy"]["body"] == ism_policy(spec.observability.retention_days)
    assert payload["masterRoleArn"] == MASTER
    delivery_role = mock_arn("aws:iam/role:Role", f"{LAYER}-delivery-role")
    assert payload["roleMappings"] == {WRITER_ROLE: {"backend_roles": [delivery_role]}}
    assert set(invocation["triggers"]) == {"documents", "writer"}
    setup_policy = json.loads(
        only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-setup-policy").inputs["policy"]
    )
    assert {
        "Sid": "ActAsMasterUser",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": MASTER,
    } in (setup_policy["Statement"])


def _mapped_paths(properties: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for key, mapping in properties.items():
        if "properties" in mapping:
            paths |= _mapped_paths(mapping["properties"], f"{prefix}{key}.")
        else:
            paths.add(f"{prefix}{key}")
    return paths


def test_index_template_maps_every_decision_event_field() -> None:
    """Each field of DecisionEvent's wire form (gen_ai.* included) has a mapping, and nothing else does."""
    wire_fields = set(DecisionEvent.model_json_schema(by_alias=True, mode="serialization")["properties"])
    template = decision_index_template(replicas=0)
    assert template["index_patterns"] == [INDEX_PATTERN]
    assert template["template"]["settings"]["number_of_replicas"] == 0
    mapped = _mapped_paths(template["template"]["mappings"]["properties"])
    assert mapped == wire_fields
    assert "gen_ai.usage.input_tokens" in mapped


@pytest.mark.parametrize("days", [pytest.param(7, id="week"), pytest.param(365, id="year")])
def test_ism_policy_deletes_indices_after_the_retention(days: int) -> None:
    """Hot, then deleted at the spec's retention; new decision indices pick the policy up."""
    policy = ism_policy(days)["policy"]
    hot, delete = policy["states"]
    assert policy["default_state"] == hot["name"] == "hot"
    assert hot["transitions"] == [{"state_name": "delete", "conditions": {"min_index_age": f"{days}d"}}]
    assert delete["actions"] == [{"delete": {}}]
    assert policy["ism_template"][0]["index_patterns"] == [INDEX_PATTERN]


def test_alarms_watch_api_jobs_throttles_guardrail_and_breaker(run: MockRun) -> None:
    """An alarm for 5xx, failed executions, guardrail blocks and the breaker; one per function throttling."""
    alarms = {
        (a.inputs["namespace"], a.inputs["metricName"]): a.inputs
        for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] != "Throttles"
    }
    assert alarms[("AWS/ApiGateway", "5xx")]["dimensions"] == {"ApiId": "a1b2c3"}
    assert alarms[("AWS/States", "ExecutionsFailed")]["dimensions"] == {"StateMachineArn": MACHINE}
    for metric in (METRIC_GUARDRAIL_BLOCKED, METRIC_BREAKER_OPEN):
        assert alarms[(NAMESPACE, metric)]["dimensions"] == {"service": "assistant"}
    throttles = [
        a.inputs
        for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] == "Throttles"
    ]
    assert sorted(a["dimensions"]["FunctionName"] for a in throttles) == sorted(FUNCTIONS)
    every = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert {tuple(a.inputs["alarmActions"]) for a in every} == {
        (f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:oncall",)
    }


def test_breaker_open_alarm_fires_on_one_opening_and_is_ok_without_any(run: MockRun) -> None:
    """It sums the openings, one is enough, and no data (no opening) never breaches (or rolls back)."""
    (alarm,) = [
        a.inputs
        for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] == METRIC_BREAKER_OPEN
    ]
    assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == (
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
    )
    assert alarm["treatMissingData"] == "notBreaching"


@pytest.mark.parametrize("opensearch", [True, False], ids=["opensearch", "logs-only"])
def test_every_log_group_keeps_the_specs_retention(
    runs: dict[tuple[str, bool], MockRun], opensearch: bool
) -> None:
    """Each log group this layer creates keeps events for observability.retention_days."""
    groups = runs[("bounded-action", opensearch)].of_type("aws:cloudwatch/logGroup:LogGroup")
    assert {g.inputs["retentionInDays"] for g in groups} <= {30}
    assert len(groups) == (3 if opensearch else 0)


def test_dashboard_shows_latency_by_stage_and_tokens_by_tenant(run: MockRun) -> None:
    """The latency widget has every stage; the tokens widget queries every event log group by tenant."""
    body = json.loads(only(run, "aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    widgets = {w["properties"]["title"]: w for w in body["widgets"]}
    latency = widgets["Latency by stage (p95, ms)"]["properties"]["metrics"]
    assert [m[:2] for m in latency] == [[NAMESPACE, METRIC_STAGE_LATENCY]] * len(STAGES)
    assert [m[5] for m in latency] == list(STAGES)
    query = widgets["Tokens by tenant"]["properties"]["query"]
    assert all(f"SOURCE '{group}'" in query for group in EVENT_GROUPS)
    assert "by tenantId" in query and "gen_ai.usage.input_tokens" in query
    assert widgets["Alarms"]["properties"]["alarms"]


def test_decision_chain_query_reads_every_event_log_group(run: MockRun) -> None:
    """The saved Logs Insights query reads the events of one job, in order, from every group."""
    query = only(run, "aws:cloudwatch/queryDefinition:QueryDefinition").inputs
    assert query["logGroupNames"] == EVENT_GROUPS
    assert "jobId" in query["queryString"] and "sort timestamp asc" in query["queryString"]
