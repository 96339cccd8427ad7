"""The reasoning layer under mocks: one model only, and the retrieval store the spec chose."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pulumi
import pytest
from governed_assistant.handlers.constants import GRAMMAR_COMPILE_SECONDS
from governed_assistant.handlers.environment import MODEL_CLIENT_CONFIG
from governed_assistant.infra import invariants
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.infra.pgvector import DATA_API_READER_ACTIONS, DB_READER_ROLE
from governed_assistant.infra.reasoning import (
    REASON_POLICY_NAME,
    TIMEOUT_SECONDS,
    WARMUP_POLICY_NAME,
    WARMUP_TIMEOUT_SECONDS,
    ReasoningLayer,
    ReasoningLayerArgs,
)
from governed_assistant.infra.retrieval import EMBEDDING_MODEL_ID, VECTOR_INDEX
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, run_with_mocks
from governed_assistant.runtime.actions import tool_config
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document
from tests.infra.test_execution import lambda_code

LAYER = "assistant-reasoning"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:guardrail/gr0example"
SCHEMA_SQL = "CREATE EXTENSION IF NOT EXISTS vector;\nALTER TABLE chunks ENABLE ROW LEVEL SECURITY;\n"
BACKENDS = ("none", "knowledge-base", "opensearch", "pgvector")
PROFILE_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MODEL_IDS = {
    "model": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "profile": PROFILE_ID,
    "profile-arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:inference-profile/{PROFILE_ID}",
    "application-profile-arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:application-inference-profile/a1b2c3",
}

FUNCTION = {
    "aws:lambda/function:Function": 1,
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
}
# The setup function: its role, policy, logs, and the invocation that prepares the store.
SETUP = {
    "aws:lambda/function:Function": 1,
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    "aws:lambda/invocation:Invocation": 1,
}
# The strict tools' warm-up (the spec has actions): its function, role, policy, logs, invocation.
WARMUP = dict(SETUP)
COLLECTION = {
    "governed:reasoning:SearchCollection": 1,
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": 2,
    "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy": 1,
    "aws:opensearch/serverlessCollection:ServerlessCollection": 1,
}
KNOWLEDGE_BASE = {
    "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase": 1,
    "aws:bedrock/agentDataSource:AgentDataSource": 1,
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:s3/bucket:Bucket": 1,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
    "aws:s3/bucketVersioning:BucketVersioning": 1,
    "aws:s3/bucketPolicy:BucketPolicy": 1,
}
DATABASE = {
    "governed:reasoning:VectorDatabase": 1,
    "aws:rds/cluster:Cluster": 1,
    "aws:rds/clusterInstance:ClusterInstance": 1,
    "aws:secretsmanager/secret:Secret": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
}


def inventory(*parts: dict[str, int]) -> Counter[str]:
    # The layer itself, its token usage table and the warm-up, whatever the backend.
    total: Counter[str] = Counter({"governed:reasoning:ReasoningLayer": 1, "aws:dynamodb/table:Table": 1})
    total.update(WARMUP)
    for part in parts:
        total.update(part)
    return total


EXPECTED_INVENTORY = {
    "none": inventory(FUNCTION),
    "knowledge-base": inventory(FUNCTION, SETUP, COLLECTION, KNOWLEDGE_BASE),
    "opensearch": inventory(FUNCTION, SETUP, COLLECTION),
    "pgvector": inventory(FUNCTION, SETUP, DATABASE),
}


def make_spec(backend: str = "none", model_id: str | None = None) -> AssistantSpec:
    document = preset_document("bounded-action")
    document["retrieval"] = {"backend": backend}
    spec = parse_spec(render_spec_yaml(document))
    # An application inference profile's model cannot be checked, so the spec refuses it
    # (governed_assistant.spec.models); its IAM grant is still tested, on an unvalidated copy.
    return spec.model_copy(update={"model_id": model_id}) if model_id else spec


def reasoning_args(spec: AssistantSpec, **overrides: Any) -> ReasoningLayerArgs:
    args: ReasoningLayerArgs = {
        "spec": spec,
        "code": lambda_code(),
        "handler": "governed_assistant.handlers.reason.handler",
        "environment": {"GOVERNED_METRICS_NAMESPACE": "Governed/Test"},
        "guardrail_arn": GUARDRAIL_ARN,
        "guardrail_version": "1",
        "protect_data": False,
        "setup_handler": "governed_assistant.handlers.retrieval_setup.handler",
        "schema_sql": SCHEMA_SQL,
    }
    args.update(overrides)  # type: ignore[typeddict-item]
    return args


def build(spec: AssistantSpec, **overrides: Any) -> MockRun:
    return run_with_mocks(lambda: ReasoningLayer(LAYER, reasoning_args(spec, **overrides)), project=spec.slug)


def only(run: MockRun, resource_type: str, name: str | None = None) -> RegisteredResource:
    matches = [r for r in run.of_type(resource_type) if name is None or r.name == name]
    assert len(matches) == 1, f"{resource_type} {name}: {[r.name for r in matches]}"
    return matches[0]


def statements(resource: RegisteredResource) -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return list(document["Statement"])


def reason_statements(run: MockRun) -> dict[str, dict[str, Any]]:
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-reason-policy")
    assert policy.inputs["name"] == REASON_POLICY_NAME
    return {statement["Sid"]: statement for statement in statements(policy)}


@pytest.fixture(scope="module")
def runs() -> dict[str, MockRun]:
    return {backend: build(make_spec(backend)) for backend in BACKENDS}


@pytest.mark.parametrize("backend", BACKENDS)
def test_reasoning_inventory_per_retrieval_backend(runs: dict[str, MockRun], backend: str) -> None:
    """Each backend adds its store, and none adds nothing but the reason function."""
    types = runs[backend].types()
    del types["pulumi:pulumi:Stack"]
    assert types == EXPECTED_INVENTORY[backend]


@pytest.mark.parametrize("backend", BACKENDS)
def test_reasoning_resources_are_parented_and_unique(runs: dict[str, MockRun], backend: str) -> None:
    """No resource sits outside the component, and no two share a URN."""
    assert runs[backend].orphans() == []
    assert runs[backend].duplicate_urns() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_reasoning_layer_satisfies_every_invariant(runs: dict[str, MockRun], backend: str) -> None:
    """Every invariant holds, the embedding model included; Converse reaches only the spec's model."""
    spec = make_spec(backend)
    run = runs[backend]
    assert invariants.check_resources(run.resources, spec) == []
    converse = [s for sid, s in reason_statements(run).items() if sid.startswith("Invoke")]
    assert converse
    assert all(EMBEDDING_MODEL_ID not in json.dumps(statement) for statement in converse)


def test_invocable_models_add_the_embedding_model_only_with_retrieval() -> None:
    """Without retrieval the spec's model is the only one; with it, the embedding model joins."""
    assert invariants.invocable_models(make_spec("none")) == (make_spec("none").model_id,)
    for backend in BACKENDS[1:]:
        spec = make_spec(backend)
        assert invariants.invocable_models(spec) == (spec.model_id, EMBEDDING_MODEL_ID)
    assert invariants.bedrock_invoke_limited(
        "aws:iam/rolePolicy:RolePolicy",
        "reason",
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["bedrock:InvokeModel"],
                            "Resource": f"arn:aws:bedrock:{REGION}::foundation-model/{EMBEDDING_MODEL_ID}",
                        }
                    ]
                }
            )
        },
        model_ids=invariants.invocable_models(make_spec("none")),
    ), "the embedding model is refused when retrieval is off"


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("model", id="model"),
        pytest.param("profile", id="inference-profile"),
        pytest.param("profile-arn", id="inference-profile-arn"),
        pytest.param("application-profile-arn", id="application-profile-arn"),
    ],
)
def test_reason_role_invokes_only_the_specs_model(kind: str) -> None:
    """Converse's actions name the spec's model (and the models its profile routes to), nothing else."""
    spec = make_spec(model_id=MODEL_IDS[kind])
    policy = only(build(spec), "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-reason-policy")
    assert (
        invariants.bedrock_invoke_limited(policy.type, policy.name, policy.inputs, model_ids=(spec.model_id,))
        == []
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param(
            "model",
            {"InvokeModel": f"arn:aws:bedrock:{REGION}::foundation-model/{MODEL_IDS['model']}"},
            id="model",
        ),
        pytest.param(
            "profile",
            {
                "InvokeProfile": MODEL_IDS["profile-arn"],
                "InvokeRoutedModel": f"arn:aws:bedrock:*::foundation-model/{MODEL_IDS['model']}",
            },
            id="inference-profile",
        ),
        pytest.param(
            "profile-arn",
            {
                "InvokeModel": MODEL_IDS["profile-arn"],
                "InvokeRoutedModel": f"arn:aws:bedrock:*::foundation-model/{MODEL_IDS['model']}",
            },
            id="inference-profile-arn",
        ),
        pytest.param(
            "application-profile-arn",
            {"InvokeModel": MODEL_IDS["application-profile-arn"]},
            id="application-profile-arn",
        ),
    ],
)
def test_model_statements_follow_the_kind_of_model_id(kind: str, expected: dict[str, str]) -> None:
    """A model in this region; a profile plus its routed models, reachable only through the profile."""
    invoke = {
        sid: statement
        for sid, statement in reason_statements(build(make_spec(model_id=MODEL_IDS[kind]))).items()
        if sid.startswith("Invoke")
    }
    assert {sid: s["Resource"] for sid, s in invoke.items()} == expected
    for statement in invoke.values():
        assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    guardrail = {"bedrock:GuardrailIdentifier": f"{GUARDRAIL_ARN}:1"}
    if "InvokeRoutedModel" in invoke:
        assert invoke["InvokeRoutedModel"]["Condition"] == {
            "StringEquals": {"bedrock:InferenceProfileArn": MODEL_IDS["profile-arn"], **guardrail}
        }
    for sid, statement in invoke.items():
        if sid != "InvokeRoutedModel":
            assert statement["Condition"] == {"StringEquals": guardrail}


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_model_call_must_carry_the_guardrail_version_the_stack_deploys(backend: str) -> None:
    """IAM refuses a Converse without the spec's guardrail: the reason and warm-up roles may call the
    model only with the guardrail version the layer was given; the embedding model needs none."""
    run = build(make_spec(backend), guardrail_version="7")
    for name in (f"{LAYER}-reason-policy", f"{LAYER}-warmup-policy"):
        policy = only(run, "aws:iam/rolePolicy:RolePolicy", name)
        for statement in statements(policy):
            if "bedrock:InvokeModel" not in statement["Action"]:
                continue
            equals = statement.get("Condition", {}).get("StringEquals", {})
            if statement["Resource"].endswith(f"foundation-model/{EMBEDDING_MODEL_ID}"):
                assert "bedrock:GuardrailIdentifier" not in equals
            else:
                assert equals["bedrock:GuardrailIdentifier"] == f"{GUARDRAIL_ARN}:7", (name, statement)
        assert invariants.model_calls_carry_the_guardrail(policy.type, policy.name, policy.inputs) == []
    warmup = only(run, "aws:lambda/function:Function", f"{LAYER}-warmup").inputs["environment"]["variables"]
    assert (warmup["GOVERNED_GUARDRAIL_ID"], warmup["GOVERNED_GUARDRAIL_VERSION"]) == (GUARDRAIL_ARN, "7")


def test_reason_function_applies_the_guardrail_and_knows_its_model(runs: dict[str, MockRun]) -> None:
    """The guardrail is allowed on its ARN; model, guardrail and backend reach the function."""
    run = runs["none"]
    assert reason_statements(run)["Guardrail"] == {
        "Sid": "Guardrail",
        "Effect": "Allow",
        "Action": ["bedrock:ApplyGuardrail"],
        "Resource": GUARDRAIL_ARN,
    }
    variables = only(run, "aws:lambda/function:Function", f"{LAYER}-reason").inputs["environment"][
        "variables"
    ]
    assert variables["GOVERNED_MODEL_ID"] == make_spec().model_id
    assert variables["GOVERNED_GUARDRAIL_ID"] == GUARDRAIL_ARN
    assert variables["GOVERNED_GUARDRAIL_VERSION"] == "1"
    assert variables["GOVERNED_RETRIEVAL_BACKEND"] == "none"


def test_knowledge_base_reader_may_only_retrieve_from_it(runs: dict[str, MockRun]) -> None:
    """The reason role gets bedrock:Retrieve on this knowledge base, and no direct store access."""
    run = runs["knowledge-base"]
    kb_arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:knowledge-base/{LAYER}-retrieval-kb-id"
    reach = reason_statements(run)
    assert reach["Retrieve"]["Action"] == ["bedrock:Retrieve"]
    assert reach["Retrieve"]["Resource"] == kb_arn
    assert not any(a.startswith(("aoss:", "s3:")) for s in reach.values() for a in s["Action"])
    variables = only(run, "aws:lambda/function:Function", f"{LAYER}-reason").inputs["environment"][
        "variables"
    ]
    assert variables["GOVERNED_KNOWLEDGE_BASE_ID"] == f"{LAYER}-retrieval-kb-id"


def test_knowledge_base_reads_tenant_documents_from_a_private_bucket(runs: dict[str, MockRun]) -> None:
    """Documents under tenants/ in an encrypted, private, TLS-only bucket; vectors in the collection."""
    run = runs["knowledge-base"]
    kb = only(run, "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase").inputs
    storage = kb["storageConfiguration"]
    assert storage["type"] == "OPENSEARCH_SERVERLESS"
    assert storage["opensearchServerlessConfiguration"]["vectorIndexName"] == VECTOR_INDEX
    source = only(run, "aws:bedrock/agentDataSource:AgentDataSource").inputs
    assert source["dataSourceConfiguration"]["s3Configuration"]["inclusionPrefixes"] == ["tenants/"]
    block = only(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[key] is True for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"))
    encryption = only(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    default = encryption["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "AES256"
    (trust,) = json.loads(
        only(run, "aws:iam/role:Role", f"{LAYER}-retrieval-kb-role").inputs["assumeRolePolicy"]
    )["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}


def test_opensearch_reader_reaches_only_its_collection(runs: dict[str, MockRun]) -> None:
    """aoss:APIAccessAll on the one collection; the data access policy lets the reader only read."""
    run = runs["opensearch"]
    collection_arn = f"arn:aws:aoss:{REGION}:{ACCOUNT_ID}:collection/{LAYER}-retrieval-vectors-id"
    reach = reason_statements(run)
    assert reach["Vectors"]["Action"] == ["aoss:APIAccessAll"]
    assert reach["Vectors"]["Resource"] == collection_arn
    rules = json.loads(
        only(run, "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy").inputs["policy"]
    )
    reader = [
        rule for rule in rules if rule["Principal"] == [f"arn:aws:iam::{ACCOUNT_ID}:role/{LAYER}-reason-role"]
    ]
    assert len(reader) == 1
    permissions = {p for rule in reader[0]["Rules"] for p in rule["Permission"]}
    assert permissions == {"aoss:ReadDocument", "aoss:DescribeIndex", "aoss:DescribeCollectionItems"}
    policies = {p.inputs["type"]: json.loads(p.inputs["policy"]) for p in run.of_type(
        "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
    )}  # fmt: skip
    assert policies["encryption"]["AWSOwnedKey"] is True


def test_pgvector_cluster_is_serverless_encrypted_with_the_data_api(runs: dict[str, MockRun]) -> None:
    """Aurora PostgreSQL, Serverless v2, encrypted, Data API on, owner password in Secrets Manager."""
    cluster = only(runs["pgvector"], "aws:rds/cluster:Cluster").inputs
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["storageEncrypted"] is True
    assert cluster["enableHttpEndpoint"] is True
    assert cluster["manageMasterUserPassword"] is True
    assert "masterPassword" not in cluster
    assert cluster["serverlessv2ScalingConfiguration"] == {"minCapacity": 0.5, "maxCapacity": 4}
    instance = only(runs["pgvector"], "aws:rds/clusterInstance:ClusterInstance").inputs
    assert instance["instanceClass"] == "db.serverless"


def test_pgvector_migration_reruns_when_the_schema_changes(spec: AssistantSpec) -> None:
    """The invocation carries the SQL and its hash; a different schema is a different trigger."""
    pg = make_spec("pgvector")

    def migration(sql: str) -> dict[str, Any]:
        run = build(pg, schema_sql=sql)
        return only(run, "aws:lambda/invocation:Invocation", f"{LAYER}-retrieval-migration").inputs

    first, second = migration(SCHEMA_SQL), migration(SCHEMA_SQL + "-- v2\n")
    payload = json.loads(first["input"])
    assert payload["sql"] == SCHEMA_SQL
    assert payload["sqlSha256"] == hashlib.sha256(SCHEMA_SQL.encode()).hexdigest()
    assert payload["readerRole"] == DB_READER_ROLE
    assert first["triggers"]["schema"] == payload["sqlSha256"]
    assert first["triggers"]["schema"] != second["triggers"]["schema"]


def test_pgvector_reader_uses_the_rls_role_never_the_owner(runs: dict[str, MockRun]) -> None:
    """The reason role reads the reader's secret only; the owner's secret is the migration's alone."""
    run = runs["pgvector"]
    reach = reason_statements(run)
    # Secrets Manager appends six random characters to the secret's name in its ARN.
    reader_secret = (
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{LAYER}-retrieval-reader-secret-AbCdEf"
    )
    assert reach["ReaderSecret"]["Resource"] == reader_secret
    assert reach["QueryVectors"]["Action"] == list(DATA_API_READER_ACTIONS)
    assert "rds!cluster" not in json.dumps(reach)
    setup = {
        s["Sid"]: s
        for s in statements(only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-retrieval-setup-policy"))
    }
    assert "rds!cluster" in setup["OwnerSecret"]["Resource"]
    assert setup["ReaderSecret"]["Action"] == ["secretsmanager:PutSecretValue"]


@pytest.mark.parametrize(
    ("backend", "overrides", "message"),
    [
        pytest.param("opensearch", {"setup_handler": ""}, "no setup_handler", id="no-setup-handler"),
        pytest.param("pgvector", {"schema_sql": "  "}, "schema_sql is empty", id="no-schema"),
        pytest.param(
            "none",
            {"code": {**lambda_code(), "archive": pulumi.FileArchive("/nonexistent/build/code")}},
            "points at a missing path",
            id="missing-archive",
        ),
    ],
)
def test_reasoning_layer_refuses_unusable_arguments(
    backend: str, overrides: dict[str, Any], message: str
) -> None:
    """A store without its setup handler or schema, or missing code, fails the program with the fix."""
    with pytest.raises(Exception, match=message):
        build(make_spec(backend), **overrides)


def _warmup(run: MockRun) -> tuple[RegisteredResource, dict[str, Any]]:
    invocation = only(run, "aws:lambda/invocation:Invocation", f"{LAYER}-warmup")
    return invocation, json.loads(invocation.inputs["input"])


def test_warmup_is_invoked_on_deploy_with_the_specs_tool_config(runs: dict[str, MockRun]) -> None:
    """The warm-up function runs its handler and is invoked with the model and the tool config's hash."""
    run = runs["none"]
    spec = make_spec()
    function = only(run, "aws:lambda/function:Function", f"{LAYER}-warmup").inputs
    assert function["handler"] == HANDLERS["warmup"]
    assert function["timeout"] == WARMUP_TIMEOUT_SECONDS
    assert function["environment"]["variables"]["GOVERNED_MODEL_ID"] == spec.model_id
    invocation, payload = _warmup(run)
    assert invocation.inputs["functionName"] == function["name"]
    canonical = json.dumps(tool_config(spec), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    assert payload == {"modelId": spec.model_id, "toolConfigSha256": digest}
    assert invocation.inputs["triggers"] == {"toolConfig": digest, "model": spec.model_id}


def test_warmup_reruns_when_an_actions_schema_changes() -> None:
    """A different action schema is a different tool config hash, so the invocation runs again."""
    spec = make_spec()
    action = spec.actions[0]
    parameters = {**action.parameters, "description": "The ticket's new status, changed."}
    changed = spec.model_copy(
        update={"actions": [action.model_copy(update={"parameters": parameters}), *spec.actions[1:]]}
    )
    before, after = _warmup(build(spec))[1], _warmup(build(changed))[1]
    assert before["toolConfigSha256"] != after["toolConfigSha256"]


def test_warmup_is_left_out_without_actions() -> None:
    """A spec without actions sends no tool config, so nothing is warmed up."""
    spec = make_spec().model_copy(update={"actions": []})
    assert [r.name for r in build(spec).of_type("aws:lambda/invocation:Invocation")] == []


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("model", id="model"),
        pytest.param("profile", id="inference-profile"),
        pytest.param("profile-arn", id="inference-profile-arn"),
    ],
)
def test_warmup_role_invokes_only_the_specs_model(kind: str) -> None:
    """The warm-up's policy grants Converse on the spec's model (and its profile's routes) alone."""
    spec = make_spec(model_id=MODEL_IDS[kind])
    run = build(spec)
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-warmup-policy")
    assert policy.inputs["name"] == WARMUP_POLICY_NAME
    assert (
        invariants.bedrock_invoke_limited(policy.type, policy.name, policy.inputs, model_ids=(spec.model_id,))
        == []
    )
    invoke = {s["Sid"]: s for s in statements(policy) if s["Sid"].startswith("Invoke")}
    reason = {sid: s for sid, s in reason_statements(run).items() if sid.startswith("Invoke")}
    assert invoke == reason
    assert invariants.check_resources(run.resources, spec) == []


def test_global_profile_grants_the_profile_and_its_routed_model() -> None:
    """A global. profile is a profile (not a foundation model): granted by ARN, its model only through it."""
    profile = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    invoke = {
        sid: s["Resource"]
        for sid, s in reason_statements(build(make_spec(model_id=profile))).items()
        if sid.startswith("Invoke")
    }
    assert invoke == {
        "InvokeProfile": f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:inference-profile/{profile}",
        "InvokeRoutedModel": f"arn:aws:bedrock:*::foundation-model/{MODEL_IDS['model']}",
    }


def test_reason_function_outlasts_a_grammar_compile(runs: dict[str, MockRun]) -> None:
    """The reason function's timeout is above its model client's read timeout, which covers a compile."""
    function = only(runs["none"], "aws:lambda/function:Function", f"{LAYER}-reason").inputs
    assert function["timeout"] == TIMEOUT_SECONDS
    assert MODEL_CLIENT_CONFIG["read_timeout"] > GRAMMAR_COMPILE_SECONDS
    assert MODEL_CLIENT_CONFIG["read_timeout"] < TIMEOUT_SECONDS
