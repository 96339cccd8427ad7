"""The stack's ``erasure`` output names every store that holds tenant data, and the README's
"Erase a tenant" windows are the ones the program sets."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest
from governed_assistant.erasure import ErasureTargets
from governed_assistant.erasure.targets import (
    COLLECTION_SNAPSHOT_DAYS,
    DOMAIN_SNAPSHOT_DAYS,
    EXECUTION_HISTORY_DAYS,
    retained,
)
from governed_assistant.infra import GovernedAssistant
from governed_assistant.infra.testing import MockRun, run_program, run_with_mocks
from governed_assistant.spec.model import Observability

from tests.conftest import REPO_ROOT
from tests.infra.test_assistant import NAME, assistant_args, make_spec
from tests.infra.test_reference_assistant import LAYER_ARN

README = (REPO_ROOT / "template" / "README.md.jinja").read_text()
SECTION = README.split("## Erase a tenant", 1)[1].split("\n## ", 1)[0]


def build(backend: str) -> tuple[MockRun, dict[str, Any]]:
    """The assistant with ``backend`` under mocks, and its erasure output as resolved."""
    captured: dict[str, Any] = {}
    spec = make_spec(retrieval={"backend": backend})

    def program() -> None:
        assistant = GovernedAssistant(NAME, assistant_args(spec))
        assistant.erasure_targets.apply(captured.update)

    return run_with_mocks(program, project=spec.slug), captured


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[MockRun, dict[str, Any]]]:
    return {backend: build(backend) for backend in ("knowledge-base", "opensearch", "pgvector")}


def _named(run: MockRun, type_: str, suffix: str) -> Any:
    (found,) = [r for r in run.of_type(type_) if r.name.endswith(suffix)]
    return found


@pytest.mark.parametrize("backend", ["knowledge-base", "opensearch", "pgvector"])
def test_erasure_output_names_the_stores_the_program_created(runs: dict[str, Any], backend: str) -> None:
    """Tables, state machine, retrieval store and decision-event domain: the output names each one
    the program registered, so the erasure reaches exactly them."""
    run, output = runs[backend]
    targets = ErasureTargets.from_outputs({"erasure": output})
    tables = {r.name.rsplit("-", 1)[-1]: r.outputs["name"] for r in run.of_type("aws:dynamodb/table:Table")}
    assert (targets.jobs_table, targets.approvals_table, targets.idempotency_table, targets.usage_table) == (
        tables["jobs"], tables["approvals"], tables["idempotency"], tables["usage"]
    )  # fmt: skip
    (machine,) = run.of_type("aws:sfn/stateMachine:StateMachine")
    (domain,) = run.of_type("aws:opensearch/domain:Domain")
    assert targets.state_machine_arn == machine.outputs["arn"]
    assert (
        targets.events_endpoint == domain.outputs["endpoint"] and targets.events_index == "decision-events-*"
    )
    assert targets.retrieval_backend == backend and targets.log_retention_days == 30
    failed = _named(run, "aws:s3/bucket:Bucket", "-failed")
    assert targets.failed_events_bucket == failed.outputs["bucket"]
    if backend == "knowledge-base":
        bucket = _named(run, "aws:s3/bucket:Bucket", "-documents")
        source = _named(run, "aws:bedrock/agentDataSource:AgentDataSource", "-source")
        assert targets.documents_bucket == bucket.outputs["bucket"]
        assert targets.data_source_id == source.outputs["dataSourceId"] and targets.knowledge_base_id
    if backend == "opensearch":
        assert targets.collection_endpoint and targets.vector_index and targets.documents_bucket is None
    if backend == "pgvector":
        (cluster,) = run.of_type("aws:rds/cluster:Cluster")
        assert targets.db_cluster_arn == cluster.outputs["arn"] and targets.db_name
        assert targets.db_owner_secret_arn == cluster.outputs["masterUserSecrets"][0]["secretArn"]


def test_readme_backup_windows_are_the_programs(runs: dict[str, Any]) -> None:
    """PITR on every table and Aurora's backup retention, as registered, are the README's numbers,
    and the erasure output reports the same ones."""
    run, output = runs["pgvector"]
    # The mocks hand numbers back as floats.
    periods = {
        r.inputs["pointInTimeRecovery"]["enabled"]
        and int(r.inputs["pointInTimeRecovery"]["recoveryPeriodInDays"])
        for r in run.of_type("aws:dynamodb/table:Table")
    }
    (cluster,) = run.of_type("aws:rds/cluster:Cluster")
    aurora = int(cluster.inputs["backupRetentionPeriod"])
    assert (
        periods == {output["backups"]["dynamodb_pitr_days"]}
        and aurora == output["backups"]["aurora_backup_days"]
    )
    [pitr] = periods
    assert re.search(rf"point-in-time recovery\*\*.*?for {pitr} days", SECTION, re.S)
    assert re.search(rf"Aurora automated backups\*\*.*?for {aurora} days", SECTION, re.S)


def test_readme_log_and_history_windows_are_the_programs(runs: dict[str, Any]) -> None:
    """Log groups keep the spec's retention (the README's default), and the fixed AWS windows are the
    ones the erasure report prints."""
    run, _ = runs["knowledge-base"]
    default = Observability().retention_days
    assert {int(g.inputs["retentionInDays"]) for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")} == {
        default
    }
    assert f"({default} days unless you changed it)" in SECTION
    assert f"stays {EXECUTION_HISTORY_DAYS} days after it closed" in SECTION
    assert (
        DOMAIN_SNAPSHOT_DAYS == COLLECTION_SNAPSHOT_DAYS
        and f"kept {DOMAIN_SNAPSHOT_DAYS} days by AWS" in SECTION
    )


def test_documents_bucket_is_versioned_so_the_erasure_deletes_every_version(runs: dict[str, Any]) -> None:
    """The README's 'no such window' for documents holds because versioning is on and the erasure
    deletes versions (tests/erasure): without versioning this claim would need no eraser."""
    run, _ = runs["knowledge-base"]
    versioning = _named(run, "aws:s3/bucketVersioning:BucketVersioning", "-documents-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_reference_program_exports_the_erasure_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pulumi stack output --json` carries ``erasure``: the program exports it."""
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exported.__setitem__(name, value))
    run_program(
        REPO_ROOT, project="governed-assistant", stack="dev", config={"dependenciesLayerArn": LAYER_ARN}
    )
    assert "erasure" in exported


def test_erasure_without_opensearch_names_no_failed_events_bucket() -> None:
    """observability.opensearch off: no stream, no failed-events bucket, nothing to erase there."""
    captured: dict[str, Any] = {}
    spec = make_spec(observability={"opensearch": False})

    def program() -> None:
        GovernedAssistant(NAME, assistant_args(spec)).erasure_targets.apply(captured.update)

    run = run_with_mocks(program, project=spec.slug)
    assert not [r for r in run.of_type("aws:s3/bucket:Bucket") if r.name.endswith("-failed")]
    assert ErasureTargets.from_outputs({"erasure": captured}).failed_events_bucket is None


def test_erasure_keeps_the_audit_archive_and_says_for_how_long(runs: dict[str, Any]) -> None:
    """The output names the archive; the report lists it as retained, never as a store it erases."""
    run, output = runs["opensearch"]
    bucket = _named(run, "aws:s3/bucket:Bucket", "-audit-bucket")
    targets = ErasureTargets.from_outputs({"erasure": output})
    assert (targets.audit_bucket, targets.audit_retention_days) == (bucket.outputs["bucket"], 1)
    (note,) = [line for line in retained(targets) if line.startswith("Audit archive")]
    assert f"s3://{bucket.outputs['bucket']}" in note and "for 1 days" in note
