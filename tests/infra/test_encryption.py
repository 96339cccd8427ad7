"""The stack's key (``kms_key``): its policy, its use by every store and role, and the invariant
``stores_use_the_key`` on stores with and without it, then over every preset and backend.

The rules come from AWS's documentation for each service, written out here by hand: CloudWatch
Logs' key policy (the regional ``logs.<region>.amazonaws.com`` principal, limited by the
``kms:EncryptionContext:aws:logs:arn`` context key); DynamoDB's ``SSESpecification.KMSMasterKeyId``;
S3's SSE-KMS with an S3 Bucket Key; Firehose's ``CUSTOMER_MANAGED_CMK``; Step Functions'
``CUSTOMER_MANAGED_KMS_KEY`` with a data key reuse period of 60 to 900 seconds; EventBridge's
dead-letter queues (``events.amazonaws.com`` with ``kms:Decrypt`` and ``kms:GenerateDataKey``).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from governed_assistant.infra.invariants import (
    check_resources,
    resource_checks,
    stack_checks,
    step_roles_match_grants,
    stores_share_one_key,
    stores_use_the_key,
    wildcard_resources_justified,
)
from governed_assistant.infra.steps import STEP_POLICY_PREFIX, step_grants
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, mock_arn

from tests.conftest import PRESETS, REPO_ROOT
from tests.infra.test_assistant import BACKENDS, NAME, build, make_spec

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/99999999-12ab-34cd-56ef-1234567890ab"
CREATED_KEY = mock_arn("aws:kms/key:Key", f"{NAME}-key")
TABLE = "aws:dynamodb/table:Table"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SERVERLESS_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def bucket_rule(algorithm: str = "aws:kms", key: str | None = KEY, bucket_key: bool = True) -> dict[str, Any]:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key is not None:
        default["kmsMasterKeyId"] = key
    return {"rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}]}


def serverless(owned: bool, key: str | None = KEY) -> dict[str, Any]:
    document: dict[str, Any] = {"Rules": [], "AWSOwnedKey": owned}
    if key is not None:
        document["KmsARN"] = key
    return {"type": "encryption", "policy": json.dumps(document)}


# ------------------------------------------------------------- the invariant, one store at a time

# Each store as the program registers it with the stack's key: the key under AWS's input name.
WITH_KEY = [
    pytest.param(TABLE, {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}}, id="table"),
    pytest.param(LOG_GROUP, {"kmsKeyId": KEY}, id="log-group"),
    pytest.param("aws:sns/topic:Topic", {"kmsMasterKeyId": KEY}, id="topic"),
    pytest.param("aws:sqs/queue:Queue", {"kmsMasterKeyId": KEY}, id="queue"),
    pytest.param("aws:cloudwatch/eventBus:EventBus", {"kmsKeyIdentifier": KEY}, id="event-bus"),
    pytest.param(
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        {"serverSideEncryption": {"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": KEY}},
        id="firehose",
    ),
    pytest.param(
        "aws:opensearch/domain:Domain", {"encryptAtRest": {"enabled": True, "kmsKeyId": KEY}}, id="domain"
    ),
    pytest.param(
        "aws:rds/cluster:Cluster",
        {"storageEncrypted": True, "kmsKeyId": KEY, "masterUserSecretKmsKeyId": KEY},
        id="aurora",
    ),
    pytest.param("aws:secretsmanager/secret:Secret", {"kmsKeyId": KEY}, id="secret"),
    pytest.param(
        "aws:appconfig/configurationProfile:ConfigurationProfile", {"kmsKeyIdentifier": KEY}, id="flags"
    ),
    pytest.param(
        "aws:sfn/stateMachine:StateMachine",
        {"encryptionConfiguration": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY}},
        id="state-machine",
    ),
    pytest.param("aws:lambda/function:Function", {"kmsKeyArn": KEY}, id="function-environment"),
    pytest.param(BUCKET_SSE, bucket_rule(), id="bucket"),
    pytest.param(SERVERLESS_POLICY, serverless(owned=False), id="collection"),
]


@pytest.mark.parametrize(("resource_type", "inputs"), WITH_KEY)
def test_stores_use_the_key_store_with_the_key_passes(resource_type: str, inputs: dict[str, Any]) -> None:
    """A store that names the spec's key passes, whether the spec names it or asks to create one."""
    assert stores_use_the_key(resource_type, "s", inputs, kms_key=KEY) == []
    assert stores_use_the_key(resource_type, "s", inputs, kms_key="create") == []


@pytest.mark.parametrize(("resource_type", "inputs"), WITH_KEY)
def test_stores_use_the_key_store_without_a_key_is_refused(
    resource_type: str, inputs: dict[str, Any]
) -> None:
    """The same store with no key (today's AWS-owned or AWS-managed one) is refused when the spec sets one."""
    bare = {
        TABLE: {"serverSideEncryption": {"enabled": True}},
        BUCKET_SSE: bucket_rule("AES256", key=None, bucket_key=False),
        SERVERLESS_POLICY: serverless(owned=True, key=None),
    }.get(resource_type, {})
    for kms_key in (KEY, "create"):
        (violation, *_) = stores_use_the_key(resource_type, "s", bare, kms_key=kms_key)
        assert resource_type in violation and "'s'" in violation and "stack's key" in violation


@pytest.mark.parametrize(("resource_type", "inputs"), WITH_KEY)
def test_stores_use_the_key_none_asks_nothing(resource_type: str, inputs: dict[str, Any]) -> None:
    """With kms_key none, a store keeps AWS's keys: nothing is asked of it."""
    assert stores_use_the_key(resource_type, "s", {}, kms_key="none") == []


@pytest.mark.parametrize(
    ("resource_type", "inputs", "fragment"),
    [
        pytest.param(LOG_GROUP, {"kmsKeyId": OTHER_KEY}, "not '" + KEY, id="another-key"),
        pytest.param(
            "aws:sns/topic:Topic", {"kmsMasterKeyId": "alias/aws/sns"}, "alias/aws/sns", id="aws-managed"
        ),
        pytest.param(
            TABLE, {"serverSideEncryption": {"enabled": False, "kmsKeyArn": KEY}}, "enabled", id="table-off"
        ),
        pytest.param(
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
            {"serverSideEncryption": {"enabled": True, "keyType": "AWS_OWNED_CMK", "keyArn": KEY}},
            "CUSTOMER_MANAGED_CMK",
            id="firehose-owned-key",
        ),
        pytest.param(
            "aws:rds/cluster:Cluster",
            {"storageEncrypted": True, "kmsKeyId": KEY},
            "masterUserSecretKmsKeyId",
            id="aurora-secret-on-aws-key",
        ),
        pytest.param(
            "aws:rds/cluster:Cluster",
            {"storageEncrypted": False, "kmsKeyId": KEY, "masterUserSecretKmsKeyId": KEY},
            "storageEncrypted",
            id="aurora-unencrypted",
        ),
        pytest.param(
            "aws:sfn/stateMachine:StateMachine",
            {"encryptionConfiguration": {"type": "AWS_OWNED_KEY", "kmsKeyId": KEY}},
            "CUSTOMER_MANAGED_KMS_KEY",
            id="state-machine-owned-key",
        ),
        pytest.param(BUCKET_SSE, bucket_rule("AES256"), "sseAlgorithm", id="bucket-sse-s3"),
        pytest.param(
            BUCKET_SSE, bucket_rule(bucket_key=False), "bucketKeyEnabled", id="bucket-without-bucket-key"
        ),
        pytest.param(SERVERLESS_POLICY, serverless(owned=True), "AWSOwnedKey", id="collection-owned-key"),
    ],
)
def test_stores_use_the_key_store_off_the_key_is_refused(
    resource_type: str, inputs: dict[str, Any], fragment: str
) -> None:
    """A store on another key, an AWS-managed alias, or with the key named but not used, is refused."""
    violations = stores_use_the_key(resource_type, "s", inputs, kms_key=KEY)
    assert any(fragment in violation for violation in violations), violations


def test_stores_use_the_key_network_policy_and_roles_hold_no_data() -> None:
    """A collection's network policy and an IAM role keep no data: nothing is asked of them."""
    assert stores_use_the_key(SERVERLESS_POLICY, "n", {"type": "network", "policy": "[]"}, kms_key=KEY) == []
    assert stores_use_the_key("aws:iam/role:Role", "r", {}, kms_key=KEY) == []


def resource(resource_type: str, name: str, **inputs: Any) -> RegisteredResource:
    return RegisteredResource(
        urn=f"urn:{name}", type=resource_type, name=name, parent="p", custom=True, inputs=inputs
    )


def test_stores_share_one_key_two_keys_are_refused() -> None:
    """Stack-wide: stores on two keys are refused, naming both (with create, only one is the stack's)."""
    resources = [resource(LOG_GROUP, "a", kmsKeyId=KEY), resource(LOG_GROUP, "b", kmsKeyId=OTHER_KEY)]
    (violation,) = stores_share_one_key(resources)
    assert KEY in violation and OTHER_KEY in violation
    assert stores_share_one_key(resources[:1]) == []


def test_step_key_grant_must_be_a_kms_key_and_exactly_its_actions() -> None:
    """A step may use the stack's key (Decrypt, GenerateDataKey), on a KMS key ARN, and nothing more."""

    def inputs(actions: list[str], resource: str) -> dict[str, Any]:
        statements = [
            {"Sid": g.sid, "Effect": "Allow", "Action": list(g.actions), "Resource": "*"}
            for g in step_grants("guardrail_output")
            if g.resource == "*"
        ]
        statements += [
            {"Sid": "Guardrail", "Effect": "Allow", "Action": ["bedrock:ApplyGuardrail"],
             "Resource": f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:guardrail/g"},
            {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/x:*"},
            {"Sid": "StackKey", "Effect": "Allow", "Action": actions, "Resource": resource},
        ]  # fmt: skip
        statements += [
            {"Sid": g.sid, "Effect": "Deny", "Action": list(g.actions),
             "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/approvals"}
            for g in step_grants("guardrail_output")
            if g.effect == "Deny"
        ]  # fmt: skip
        return {
            "name": STEP_POLICY_PREFIX + "guardrail_output",
            "policy": json.dumps({"Statement": statements}),
        }

    check = partial(step_roles_match_grants, ROLE_POLICY, "p")
    assert check(inputs(["kms:Decrypt", "kms:GenerateDataKey"], KEY)) == []
    (wider,) = check(inputs(["kms:Decrypt", "kms:GenerateDataKey", "kms:ScheduleKeyDeletion"], KEY))
    assert "StackKey allows" in wider
    (elsewhere,) = check(inputs(["kms:Decrypt", "kms:GenerateDataKey"], "arn:aws:s3:::bucket"))
    assert "not a kms ARN" in elsewhere
    (everywhere,) = check(inputs(["kms:Decrypt", "kms:GenerateDataKey"], "*"))
    assert "wider than stack_key" in everywhere


# ------------------------------------------------------------- whole programs

RUNS: dict[tuple[str, str, str], MockRun] = {}


def program(preset: str, backend: str, kms_key: str) -> MockRun:
    """The preset with the backend and key, built once (the Firehose sink on, so its writers exist)."""
    if (preset, backend, kms_key) not in RUNS:
        spec = make_spec(preset, kms_key=kms_key, retrieval={"backend": backend})
        RUNS[preset, backend, kms_key] = build(spec, telemetry_sink="firehose")
    return RUNS[preset, backend, kms_key]


SHAPES = [
    *(pytest.param(preset, "none", id=preset) for preset in PRESETS),
    *(pytest.param("bounded-action", backend, id=f"backend-{backend}") for backend in BACKENDS[1:]),
]
KEYS = [pytest.param("create", CREATED_KEY, id="create"), pytest.param(KEY, KEY, id="arn")]


def keyed_stores(run: MockRun) -> list[tuple[str, str, Any]]:
    """(type, name, key) for every store of the program, read by AWS's input names, written out by hand."""
    found: list[tuple[str, str, Any]] = []
    for r in run.resources:
        i = r.inputs
        if r.type == TABLE:
            found.append((r.type, r.name, (i.get("serverSideEncryption") or {}).get("kmsKeyArn")))
        elif r.type in (LOG_GROUP, "aws:secretsmanager/secret:Secret"):
            found.append((r.type, r.name, i.get("kmsKeyId")))
        elif r.type in ("aws:sns/topic:Topic", "aws:sqs/queue:Queue"):
            found.append((r.type, r.name, i.get("kmsMasterKeyId")))
        elif r.type == "aws:cloudwatch/eventBus:EventBus":
            found.append((r.type, r.name, i.get("kmsKeyIdentifier")))
        elif r.type == "aws:lambda/function:Function":
            found.append((r.type, r.name, i.get("kmsKeyArn")))
        elif r.type == "aws:rds/cluster:Cluster":
            found += [
                (r.type, r.name, i.get("kmsKeyId")),
                (r.type, r.name, i.get("masterUserSecretKmsKeyId")),
            ]
        elif r.type == "aws:opensearch/domain:Domain":
            found.append((r.type, r.name, (i.get("encryptAtRest") or {}).get("kmsKeyId")))
        elif r.type == "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
            found.append((r.type, r.name, (i.get("serverSideEncryption") or {}).get("keyArn")))
        elif r.type.startswith("aws:appconfig/") and r.type.endswith(("ConfigurationProfile", ":Deployment")):
            found.append((r.type, r.name, i.get("kmsKeyIdentifier")))
        elif r.type == "aws:sfn/stateMachine:StateMachine":
            found.append((r.type, r.name, (i.get("encryptionConfiguration") or {}).get("kmsKeyId")))
        elif r.type == BUCKET_SSE:
            (rule,) = i["rules"]
            found.append((r.type, r.name, rule["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId")))
        elif r.type == SERVERLESS_POLICY and i.get("type") == "encryption":
            found.append((r.type, r.name, json.loads(i["policy"]).get("KmsARN")))
    return found


@pytest.mark.parametrize(("kms_key", "key_arn"), KEYS)
@pytest.mark.parametrize(("preset", "backend"), SHAPES)
def test_every_store_uses_the_key_per_preset_and_backend(
    preset: str, backend: str, kms_key: str, key_arn: str
) -> None:
    """With kms_key set, every store, log group, queue, topic and function names that key; invariants hold."""
    run = program(preset, backend, kms_key)
    spec = make_spec(preset, kms_key=kms_key, retrieval={"backend": backend})
    stores = keyed_stores(run)
    assert {kind for kind, _, _ in stores} >= {
        TABLE, LOG_GROUP, "aws:sns/topic:Topic", "aws:sqs/queue:Queue", "aws:cloudwatch/eventBus:EventBus",
    }  # fmt: skip
    assert [(kind, name) for kind, name, key in stores if key != key_arn] == []
    assert check_resources(run.resources, spec) == []


@pytest.mark.parametrize(("preset", "backend"), SHAPES)
def test_no_key_keeps_aws_keys_per_preset_and_backend(preset: str, backend: str) -> None:
    """Without kms_key, no key is created, no store names one and the defaults still pass every invariant."""
    run = program(preset, backend, "none")
    assert run.of_type("aws:kms/key:Key") == []
    # The approvals topic keeps SNS's AWS-managed key, named by its alias; nothing names a key ARN.
    assert [(kind, name) for kind, name, key in keyed_stores(run) if key not in (None, "alias/aws/sns")] == []
    (topic,) = run.of_type("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    for queue in run.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["sqsManagedSseEnabled"] is True, queue.name
    assert check_resources(run.resources, make_spec(preset, retrieval={"backend": backend})) == []


def test_invariant_finds_a_store_the_program_left_off_the_key() -> None:
    """In a whole program, one table without the key is found by name."""
    run = program("bounded-action", "none", "create")
    (jobs,) = [r for r in run.of_type(TABLE) if r.name.endswith("-jobs")]
    jobs.inputs["serverSideEncryption"] = {"enabled": True}
    try:
        violations = check_resources(run.resources, make_spec(kms_key="create"))
    finally:
        jobs.inputs["serverSideEncryption"] = {"enabled": True, "kmsKeyArn": CREATED_KEY}
    assert len(violations) == 1 and repr(jobs.name) in violations[0]


@pytest.mark.parametrize(("kms_key", "created"), [("create", 1), (KEY, 0), ("none", 0)])
def test_stack_creates_a_rotating_key_only_for_create(kms_key: str, created: int) -> None:
    """'create' makes one symmetric key per stack, rotated yearly, with an alias; an ARN or none, none."""
    run = program("bounded-action", "none", kms_key)
    keys = run.of_type("aws:kms/key:Key")
    aliases = run.of_type("aws:kms/alias:Alias")
    assert (len(keys), len(aliases)) == (created, created)
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
        assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
        # AWS waits 7 to 30 days before it deletes a key.
        assert 7 <= key.inputs["deletionWindowInDays"] <= 30
    for alias in aliases:
        assert alias.inputs["name"].startswith("alias/") and not alias.inputs["name"].startswith("alias/aws/")
        assert alias.inputs["targetKeyId"] == CREATED_KEY


# ------------------------------------------------------------- the key's policy, per AWS's documentation


def key_statements() -> dict[str, dict[str, Any]]:
    (key,) = program("bounded-action", "none", "create").of_type("aws:kms/key:Key")
    return {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}


def test_key_policy_account_administers_without_kms_star() -> None:
    """The account root administers the key, action by action: no kms:*, and no use of the key there."""
    admin = key_statements()["AccountAdministers"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert "kms:*" not in admin["Action"] and "kms:PutKeyPolicy" in admin["Action"]
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"} & set(admin["Action"])


def test_key_policy_account_uses_the_key_only_through_the_stacks_services() -> None:
    """The account uses the key only through the services that keep the stack's data, from the account."""
    use = key_statements()["AccountUsesThroughStackServices"]
    condition = use["Condition"]["StringEquals"]
    assert condition["kms:CallerAccount"] == ACCOUNT_ID
    services = {f"{name}.{REGION}.amazonaws.com" for name in ("dynamodb", "s3", "sns", "sqs", "logs")}
    via = set(condition["kms:ViaService"])
    # CloudWatch Logs uses its own principal (below), not the caller's, so it is not a via-service.
    assert services - {f"logs.{REGION}.amazonaws.com"} <= via and f"logs.{REGION}.amazonaws.com" not in via
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(use["Action"])


def test_key_policy_cloudwatch_logs_for_this_accounts_log_groups_only() -> None:
    """CloudWatch Logs' regional principal, limited by the log group's ARN in the encryption context."""
    logs = key_statements()["CloudWatchLogs"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    (operator,) = logs["Condition"]
    assert logs["Condition"][operator] == {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:*"
    }
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= set(logs["Action"])


def test_key_policy_eventbridge_for_this_accounts_buses_only() -> None:
    """EventBridge may encrypt events on this account's buses only (the bus ARN in the encryption context)."""
    statements = key_statements()
    buses = statements["EventBridgeBuses"]
    assert buses["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(buses["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert buses["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    (operator,) = set(buses["Condition"]) - {"StringEquals"}
    assert buses["Condition"][operator] == {
        "kms:EncryptionContext:aws:events:event-bus:arn": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/*"
    }
    describe = statements["EventBridgeDescribesKey"]
    assert describe["Action"] == ["kms:DescribeKey"]
    assert describe["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_key_policy_eventbridge_for_this_accounts_rules_only() -> None:
    """EventBridge may put unstarted jobs on the encrypted queue, for this account's rules only."""
    events = key_statements()["EventBridgeDeadLetters"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(events["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert events["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert events["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/*"}


def test_key_policy_no_statement_opens_the_key_to_anyone() -> None:
    """No statement names a principal '*', and every service statement carries a condition."""
    for sid, statement in key_statements().items():
        assert statement["Principal"] != "*" and "*" not in statement["Principal"].values(), sid
        if "Service" in statement["Principal"]:
            assert statement.get("Condition"), sid


# ------------------------------------------------------------- what each service needs of the key


def policies(run: MockRun) -> dict[str, list[dict[str, Any]]]:
    return {r.name: json.loads(r.inputs["policy"])["Statement"] for r in run.of_type(ROLE_POLICY)}


def key_grants(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if any(str(a).startswith("kms:") for a in s["Action"])]


@pytest.mark.parametrize(("kms_key", "key_arn"), KEYS)
def test_every_function_role_may_use_the_key_and_nothing_else_of_kms(kms_key: str, key_arn: str) -> None:
    """Each function's role may Decrypt and GenerateDataKey with the stack's key, on that key only."""
    run = program("insights-to-action", "pgvector", kms_key)
    by_name = policies(run)
    functions = run.of_type("aws:lambda/function:Function")
    assert functions
    for function in functions:
        (grant,) = key_grants(by_name[f"{function.name}-policy"])
        assert (
            sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"] and grant["Resource"] == key_arn
        )


@pytest.mark.parametrize(
    "policy_suffix",
    [
        pytest.param("-states-policy", id="state-machine-role"),
        pytest.param("-trigger-policy", id="eventbridge-starts-encrypted-executions"),
        pytest.param("-observability-delivery-policy", id="firehose-writes-the-encrypted-bucket"),
        pytest.param("-archive-delivery-policy", id="firehose-writes-the-encrypted-archive"),
        pytest.param("-kb-policy", id="knowledge-base-reads-encrypted-documents"),
    ],
)
def test_service_roles_may_use_the_key_only_when_set(policy_suffix: str) -> None:
    """The roles AWS services assume to reach encrypted stores may use the key when set, not otherwise."""
    with_key = {n: s for n, s in policies(program("bounded-action", "knowledge-base", KEY)).items()}
    without = {n: s for n, s in policies(program("bounded-action", "knowledge-base", "none")).items()}
    (name,) = [n for n in with_key if n.endswith(policy_suffix)]
    (grant,) = key_grants(with_key[name])
    assert grant["Resource"] == KEY
    assert key_grants(without[name]) == []


def test_no_role_may_use_a_key_without_kms_key() -> None:
    """Without kms_key, no role policy mentions KMS at all."""
    run = program("insights-to-action", "pgvector", "none")
    assert {name: key_grants(s) for name, s in policies(run).items() if key_grants(s)} == {}


def test_state_machine_encryption_follows_step_functions_rules() -> None:
    """Step Functions: a customer-managed key, data keys reused for 60 to 900 seconds (its API reference)."""
    (machine,) = program("bounded-action", "none", KEY).of_type("aws:sfn/stateMachine:StateMachine")
    encryption = machine.inputs["encryptionConfiguration"]
    assert encryption["type"] == "CUSTOMER_MANAGED_KMS_KEY" and encryption["kmsKeyId"] == KEY
    assert 60 <= encryption["kmsDataKeyReusePeriodSeconds"] <= 900
    (plain,) = program("bounded-action", "none", "none").of_type("aws:sfn/stateMachine:StateMachine")
    assert "encryptionConfiguration" not in plain.inputs


def test_bucket_uses_sse_kms_with_a_bucket_key_only_with_the_key() -> None:
    """S3: SSE-KMS with the stack's key and an S3 Bucket Key; SSE-S3 without kms_key."""
    failed = "-failed-encryption"  # the failed-events bucket's (the audit archive has its own)
    (keyed,) = [
        r for r in program("bounded-action", "none", KEY).of_type(BUCKET_SSE) if r.name.endswith(failed)
    ]
    (rule,) = keyed.inputs["rules"]
    assert rule["bucketKeyEnabled"] is True
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    (plain,) = [
        r for r in program("bounded-action", "none", "none").of_type(BUCKET_SSE) if r.name.endswith(failed)
    ]
    (rule,) = plain.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_queue_uses_the_key_instead_of_sqs_managed_encryption() -> None:
    """SQS takes one server-side encryption: with the key, SQS-managed SSE is off (AWS refuses both)."""
    (queue,) = program("bounded-action", "none", KEY).of_type("aws:sqs/queue:Queue")
    assert queue.inputs["kmsMasterKeyId"] == KEY and queue.inputs.get("sqsManagedSseEnabled") is False


# ------------------------------------------------------------- the README's "Encryption keys"

README = (REPO_ROOT / "template" / "README.md.jinja").read_text()
SECTION = " ".join(
    README.split("### Encryption keys", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0].split()
)
# Each store the README lists, and the resource type that is it.
README_STORES = {
    "DynamoDB table": TABLE,
    "S3 bucket (SSE-KMS with an S3 Bucket Key)": BUCKET_SSE,
    "SNS topic": "aws:sns/topic:Topic",
    "SQS queue": "aws:sqs/queue:Queue",
    "EventBridge bus": "aws:cloudwatch/eventBus:EventBus",
    "CloudWatch log group": LOG_GROUP,
    "Firehose stream": "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "OpenSearch domain": "aws:opensearch/domain:Domain",
    "and collection": SERVERLESS_POLICY,
    "Aurora cluster and its secrets": "aws:secretsmanager/secret:Secret",
    "the AppConfig flags": "aws:appconfig/configurationProfile:ConfigurationProfile",
    "the state machine": "aws:sfn/stateMachine:StateMachine",
    "every function's environment": "aws:lambda/function:Function",
}


def test_readme_lists_every_store_that_uses_the_key() -> None:
    """Each store the README says uses the key does, in the programs with them (knowledge base, pgvector)."""
    stores = [
        s
        for backend in ("knowledge-base", "pgvector")
        for s in keyed_stores(program("bounded-action", backend, KEY))
    ]
    for words, kind in README_STORES.items():
        assert words in SECTION, words
        assert [key for stored_kind, _, key in stores if stored_kind == kind], kind
    assert {key for _, _, key in stores} == {KEY}
    assert "aws:rds/cluster:Cluster" in {kind for kind, _, _ in stores}


def test_readme_key_numbers_and_alias_are_the_programs() -> None:
    """The created key's rotation, deletion window and alias are the README's."""
    run = program("bounded-action", "none", "create")
    (key,) = run.of_type("aws:kms/key:Key")
    (alias,) = run.of_type("aws:kms/alias:Alias")
    assert f"rotated every {key.inputs['rotationPeriodInDays']:g} days" in SECTION
    assert f"deleted no sooner than {key.inputs['deletionWindowInDays']:g} days" in SECTION
    assert "`alias/<slug>-<stack>-data`" in SECTION
    spec = make_spec(kms_key="create")
    assert alias.inputs["name"] == f"alias/{spec.slug.replace('_', '-')}-test-data"


def test_readme_names_the_pack_policies_and_the_default() -> None:
    """The policies the README names are the pack's; none is the spec's default."""
    pack = (REPO_ROOT / "template" / "policypack" / "__main__.py").read_text()
    assert "stores-use-the-key" in resource_checks(make_spec())
    assert "stack_checks()" in pack and "stores-share-one-key" in stack_checks()
    assert "`stores-use-the-key` and `stores-share-one-key`" in SECTION
    assert "`none` (the default)" in SECTION and make_spec().kms_key == "none"
    assert "(`kms:Decrypt`, `kms:GenerateDataKey`)" in SECTION


def test_resource_star_is_the_key_itself_only_in_a_key_policy() -> None:
    """In a key policy Resource '*' means that key (KMS's rule): it passes; in a role policy it does not."""
    statement = {"Sid": "Use", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}
    document = {"policy": json.dumps({"Statement": [statement]})}
    assert wildcard_resources_justified("aws:kms/key:Key", "k", document) == []
    (violation,) = wildcard_resources_justified(ROLE_POLICY, "p", document)
    assert "kms:Decrypt" in violation


def test_state_machine_role_uses_the_key_for_its_own_state_machine_only() -> None:
    """Step Functions' role may use the key only with its state machine's ARN as encryption context."""
    run = program("bounded-action", "none", KEY)
    (machine,) = run.of_type("aws:sfn/stateMachine:StateMachine")
    (policy,) = [r for r in run.of_type(ROLE_POLICY) if r.name.endswith("-states-policy")]
    (grant,) = key_grants(json.loads(policy.inputs["policy"])["Statement"])
    expected = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{machine.inputs['name']}"
    assert grant["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": expected}
    }
