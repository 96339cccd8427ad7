"""erase_tenant on moto's AWS: each store loses exactly the tenant's data, and no other tenant's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.erasure import (
    ConfirmationError,
    ErasureTargets,
    InvalidTenantError,
    build_erasers,
    erase_tenant,
    retained,
)
from governed_assistant.erasure.stores.documents import DocumentsEraser, KnowledgeBaseSync
from governed_assistant.erasure.stores.executions import ExecutionsEraser
from governed_assistant.runtime.approvals.dynamodb import DynamoDBApprovalStore
from governed_assistant.runtime.idempotency import persistence_layer, run_once
from governed_assistant.runtime.idempotency.keys import run_key
from governed_assistant.runtime.jobs.dynamodb import DynamoDBJobStore
from governed_assistant.runtime.model.base import TokenUsage
from governed_assistant.runtime.model.stores.dynamodb import DynamoDBTokenUsageStore

from tests.erasure.conftest import BUCKET, USAGE_TABLE, Aws

# "acme" is a prefix of the others; "acme_corp" is what a LIKE 'acme_corp' would confuse with
# "acme-corp"; "acme.corp" and "acme:eu" use the other separators a tenant id may hold.
TENANTS = ("acme", "acme-corp", "acme_corp", "acme.corp", "acme:eu")
ACTIONS = ("issue_refund",)


def context(tenant: str) -> TenantContext:
    return TenantContext(tenant_id=tenant, user_id=f"user-{tenant}", roles=("agent",), request_id="r")


def run_keys(tenant: str) -> list[str]:
    return [run_key("execute", tenant, action) for action in ACTIONS] + [
        run_key("compensate", tenant, action) for action in ACTIONS
    ]


def seed(aws: Aws, tenant: str) -> dict[str, int]:
    """Two jobs (one with a remembered action run), an approval, two days of usage, documents."""
    dynamodb = aws.client("dynamodb")
    jobs = DynamoDBJobStore(dynamodb, aws.tables.jobs)
    approvals = DynamoDBApprovalStore(dynamodb, aws.tables.approvals)
    usage = DynamoDBTokenUsageStore(dynamodb, USAGE_TABLE)
    first = jobs.create(context(tenant))
    jobs.create(context(tenant))
    jobs.transition(tenant, first.job_id, "processing", "execute:issue_refund")
    persistence = persistence_layer(aws.tables.idempotency, boto3_client=dynamodb)
    run_once(
        first.job_id,
        run_key("execute", tenant, "issue_refund"),
        lambda: {"status": "succeeded", "secret": f"{tenant} card 4242"},
        persistence=persistence,
    )
    approvals.request(
        context(tenant),
        first.job_id,
        "refund 12 EUR",
        "token-" + tenant,
        datetime.now(UTC) + timedelta(hours=1),
    )
    for day in (date(2025, 1, 1), date(2025, 1, 2)):
        usage.record(tenant, day, TokenUsage(input_tokens=10, output_tokens=5))
    s3 = aws.client("s3")
    key = f"tenants/{tenant}/policy.md"
    s3.put_object(Bucket=BUCKET, Key=key, Body=f"{tenant} v1".encode())
    s3.put_object(Bucket=BUCKET, Key=key, Body=f"{tenant} v2".encode())
    s3.put_object(
        Bucket=BUCKET,
        Key=f"{key}.metadata.json",
        Body=json.dumps({"metadataAttributes": {"tenantId": tenant}}).encode(),
    )
    s3.put_object(Bucket=BUCKET, Key=f"tenants/{tenant}/gone.md", Body=b"deleted once")
    s3.delete_object(Bucket=BUCKET, Key=f"tenants/{tenant}/gone.md")  # a delete marker over a version
    # idempotency 1, jobs 2, approvals 1, usage 2, S3: 2 + 1 + 1 versions and 1 marker.
    return {"idempotency": 1, "jobs": 2, "approvals": 1, "usage": 2, "documents": 5}


def targets(aws: Aws) -> ErasureTargets:
    return ErasureTargets(
        region="eu-west-1",
        jobs_table=aws.tables.jobs,
        approvals_table=aws.tables.approvals,
        idempotency_table=aws.tables.idempotency,
        usage_table=USAGE_TABLE,
        documents_bucket=BUCKET,
    )


def counts(aws: Aws, tenant: str) -> dict[str, int]:
    report = erase_tenant(
        tenant, build_erasers(targets(aws), client=aws.client, run_keys=run_keys), dry_run=True
    )
    return {result.store.split(" ")[0]: result.found for result in report.results}


def test_erase_tenant_deletes_every_store_and_spares_tenants_it_prefixes(aws: Aws) -> None:
    """acme's jobs, approvals, usage, idempotency records and every document version go; the
    tenants whose ids start with acme (or a LIKE pattern would confuse) keep all of theirs."""
    seeded = {tenant: seed(aws, tenant) for tenant in TENANTS}
    expected = {"idempotency": 1, "jobs": 2, "approvals": 1, "token": 2, "documents": 5}
    assert all(counts(aws, tenant) == expected for tenant in TENANTS), seeded

    report = erase_tenant(
        "acme", build_erasers(targets(aws), client=aws.client, run_keys=run_keys), confirm="acme"
    )

    assert report.ok and report.erased == sum(expected.values())
    assert [(r.found, r.erased) for r in report.results] == [(n, n) for n in expected.values()]
    assert counts(aws, "acme") == dict.fromkeys(expected, 0)
    assert all(counts(aws, tenant) == expected for tenant in TENANTS[1:])
    # The other tenants' records still read as before through their own stores.
    jobs = DynamoDBJobStore(aws.client("dynamodb"), aws.tables.jobs)
    other = aws.client("dynamodb").scan(TableName=aws.tables.jobs)["Items"]
    assert {item["tenantId"]["S"] for item in other} == set(TENANTS[1:])
    assert all(jobs.get(context(i["tenantId"]["S"]), i["jobId"]["S"]) for i in other)


def test_erase_tenant_removes_every_version_so_nothing_can_be_restored(aws: Aws) -> None:
    """After the erasure the bucket lists no version and no delete marker under the tenant's prefix."""
    seed(aws, "acme")
    seed(aws, "acme-corp")
    erase_tenant("acme", [DocumentsEraser(aws.client("s3"), BUCKET)], confirm="acme")
    listed = aws.client("s3").list_object_versions(Bucket=BUCKET)
    keys = {v["Key"] for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]}
    assert keys and all(key.startswith("tenants/acme-corp/") for key in keys)
    body = aws.client("s3").get_object(Bucket=BUCKET, Key="tenants/acme-corp/policy.md")["Body"].read()
    assert body == b"acme-corp v2"


def test_erase_tenant_idempotency_ids_are_the_ones_run_once_stores(aws: Aws) -> None:
    """The ids erasure computes are those Powertools wrote (found by id, not by scanning for text)."""
    seed(aws, "acme")
    items = aws.client("dynamodb").scan(TableName=aws.tables.idempotency)["Items"]
    (eraser,) = [
        e
        for e in build_erasers(targets(aws), client=aws.client, run_keys=run_keys)
        if "idempotency" in e.store
    ]
    assert {item["id"]["S"] for item in items} == set(eraser.ids("acme"))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "tenant",
    [
        pytest.param("acme*", id="wildcard"),
        pytest.param("%", id="sql-like-any"),
        pytest.param("acme' OR '1'='1", id="sql-quote"),
        pytest.param("acme#", id="key-separator"),
        pytest.param("acme/", id="path-separator"),
        pytest.param("", id="empty"),
        pytest.param(" acme", id="leading-space"),
        pytest.param("acme\n", id="trailing-newline"),
        pytest.param("a" * 129, id="too-long"),
    ],
)
def test_erase_tenant_malformed_id_is_refused_before_any_store_is_read(aws: Aws, tenant: str) -> None:
    """A tenant id the product could not have stored is refused first: no key or filter is built."""
    seed(aws, "acme")

    class Untouchable:
        store, note = "untouchable", ""

        def count(self, tenant_id: str) -> int:
            raise AssertionError("a store was read")

        erase = count

    with pytest.raises(InvalidTenantError, match="Not a tenant id"):
        erase_tenant(tenant, [Untouchable()], confirm=tenant)
    assert counts(aws, "acme")["jobs"] == 2


@pytest.mark.parametrize(
    "confirm",
    [
        pytest.param(None, id="missing"),
        pytest.param("acme-corp", id="other-tenant"),
        pytest.param("ACME", id="case"),
    ],
)
def test_erase_tenant_without_matching_confirmation_deletes_nothing(aws: Aws, confirm: str | None) -> None:
    """Anything but the tenant id repeated exactly is refused, and every item stays."""
    seed(aws, "acme")
    with pytest.raises(ConfirmationError, match="CONFIRM=acme"):
        erase_tenant(
            "acme", build_erasers(targets(aws), client=aws.client, run_keys=run_keys), confirm=confirm
        )
    assert counts(aws, "acme")["jobs"] == 2


def test_erase_tenant_dry_run_counts_and_deletes_nothing(aws: Aws) -> None:
    """A dry run needs no confirmation, reports every store's count, and leaves them all."""
    seed(aws, "acme")
    report = erase_tenant(
        "acme", build_erasers(targets(aws), client=aws.client, run_keys=run_keys), dry_run=True
    )
    assert report.dry_run and report.erased == 0 and [r.found for r in report.results] == [1, 2, 1, 2, 5]
    assert "would erase 2" in "\n".join(report.lines())
    assert counts(aws, "acme")["documents"] == 5


def test_erase_tenant_stops_only_the_tenants_running_executions(aws: Aws) -> None:
    """Running executions whose input names the tenant are stopped; another tenant's keeps running."""
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="jobs",
        definition=json.dumps(
            {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        ),
        roleArn="arn:aws:iam::123456789012:role/states",
    )["stateMachineArn"]
    started = {}
    for tenant in ("acme", "acme-corp"):
        detail = {"jobId": f"job-{tenant}", "context": context(tenant).model_dump(mode="json", by_alias=True)}
        started[tenant] = sfn.start_execution(stateMachineArn=machine, input=json.dumps(detail))[
            "executionArn"
        ]
    # Text that names acme without being its context does not count.
    sfn.start_execution(
        stateMachineArn=machine, input=json.dumps({"message": "acme", "context": {"tenantId": "acme "}})
    )

    report = erase_tenant("acme", [ExecutionsEraser(sfn, machine)], confirm="acme")

    assert [(r.found, r.erased) for r in report.results] == [(1, 1)]
    assert sfn.describe_execution(executionArn=started["acme"])["status"] == "ABORTED"
    assert sfn.describe_execution(executionArn=started["acme-corp"])["status"] == "RUNNING"


def test_erase_tenant_failed_execution_stop_halts_before_any_table(aws: Aws) -> None:
    """If the running executions cannot be stopped, no table is emptied (a step could write back)."""
    seed(aws, "acme")
    erasers = build_erasers(
        ErasureTargets(
            state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:missing", **_tables(aws)
        ),
        client=aws.client,
        run_keys=run_keys,
    )
    report = erase_tenant("acme", erasers, confirm="acme")
    assert not report.ok and report.results[0].error and "StateMachineDoesNotExist" in report.results[0].error
    assert all(r.error and r.error.startswith("not run") for r in report.results[1:])
    assert counts(aws, "acme")["jobs"] == 2


def _tables(aws: Aws) -> dict[str, Any]:
    return {
        "jobs_table": aws.tables.jobs,
        "approvals_table": aws.tables.approvals,
        "usage_table": USAGE_TABLE,
    }


def test_knowledge_base_sync_starts_an_ingestion_job_and_says_where_to_follow_it() -> None:
    """After the documents go, the data source's sync is started: its request is what Bedrock accepts."""
    import botocore.session
    from botocore.stub import Stubber

    client = botocore.session.get_session().create_client(
        "bedrock-agent",
        region_name="eu-west-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",  # noqa: S106
    )
    sync = KnowledgeBaseSync(client, "KB12345678", "DS12345678")
    with Stubber(client) as stub:
        stub.add_response(
            "start_ingestion_job",
            {
                "ingestionJob": {
                    "knowledgeBaseId": "KB12345678",
                    "dataSourceId": "DS12345678",
                    "ingestionJobId": "JOB1234567",
                    "status": "STARTING",
                    "startedAt": datetime(2025, 1, 1, tzinfo=UTC),
                    "updatedAt": datetime(2025, 1, 1, tzinfo=UTC),
                }
            },
            {
                "knowledgeBaseId": "KB12345678",
                "dataSourceId": "DS12345678",
                "description": "erasure of tenant acme",
            },
        )
        report = erase_tenant("acme", [sync], confirm="acme")
    assert report.ok and "JOB1234567" in report.results[0].note


def test_retained_lists_each_window_the_stack_reports() -> None:
    """The report's 'not erased' list carries the numbers the stack's outputs give, and only its stores."""
    notes = retained(
        ErasureTargets(
            state_machine_arn="arn:aws:states:eu-west-1:1:stateMachine:jobs",
            db_cluster_arn="arn:aws:rds:eu-west-1:1:cluster:v",
            events_endpoint="search-x.es.amazonaws.com",
            log_retention_days=30,
            backups={"dynamodb_pitr_days": 35, "aurora_backup_days": 7},
        )
    )
    text = "\n".join(notes)
    assert "30 days" in text and "35 days" in text and "7 days" in text and "90 days" in text
    assert "decision-event domain" in text and "OpenSearch Serverless" not in text
