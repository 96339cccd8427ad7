"""`python -m governed_assistant.erasure`: refusals, dry runs and the stack outputs it reads."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from governed_assistant.erasure.cli import main
from governed_assistant.runtime.jobs.dynamodb import DynamoDBJobStore
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document
from tests.erasure.conftest import USAGE_TABLE, Aws
from tests.erasure.test_erasure import context


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "assistant.yaml").write_text(render_spec_yaml(preset_document()))
    return tmp_path


def outputs(aws: Aws, path: Path) -> Path:
    """What `pulumi stack output --json` prints for a stack with these tables (the erasure output)."""
    erasure = {
        "region": "eu-west-1",
        "jobs_table": aws.tables.jobs,
        "approvals_table": aws.tables.approvals,
        "idempotency_table": aws.tables.idempotency,
        "usage_table": USAGE_TABLE,
        "retrieval_backend": "none",
        "retrieval": {},
        "events_endpoint": None,
        "events_index": "decision-events-*",
        "log_retention_days": 30,
        "backups": {"dynamodb_pitr_days": 35},
    }
    path.write_text(json.dumps({"api_url": "https://x", "erasure": erasure}))
    return path


def run(project: Path, *argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--project", str(project), *argv], stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def test_cli_without_confirmation_exits_2_and_deletes_nothing(
    aws: Aws, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --confirm: refused with how to confirm, and the tenant's job is still there."""
    job = DynamoDBJobStore(aws.client("dynamodb"), aws.tables.jobs).create(context("acme"))
    code, _ = run(project, "--tenant", "acme", "--outputs", str(outputs(aws, project / "o.json")))
    assert code == 2 and "CONFIRM=acme" in capsys.readouterr().err
    assert DynamoDBJobStore(aws.client("dynamodb"), aws.tables.jobs).get(context("acme"), job.job_id)


def test_cli_reads_outputs_from_stdin_dry_runs_then_erases(aws: Aws, project: Path) -> None:
    """`pulumi stack output --json | ... --outputs -`: a dry run counts, a confirmed run erases."""
    DynamoDBJobStore(aws.client("dynamodb"), aws.tables.jobs).create(context("acme"))
    text = outputs(aws, project / "o.json").read_text()
    code, dry = run(project, "--tenant", "acme", "--outputs", "-", "--dry-run", "--json", stdin=text)
    report = json.loads(dry)
    assert (
        code == 0
        and report["dryRun"]
        and {s["store"]: s["found"] for s in report["stores"]}[f"jobs table {aws.tables.jobs}"] == 1
    )
    assert any("35 days" in note for note in report["retained"])
    code, done = run(project, "--tenant", "acme", "--outputs", "-", "--confirm", "acme", stdin=text)
    assert code == 0 and f"jobs table {aws.tables.jobs}" in done and "erased 1 of 1" in done
    assert "CloudWatch cannot delete single log events" in done


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        pytest.param(
            ["--tenant", "acme*", "--local", "--confirm", "acme*"], "Not a tenant id", id="wildcard"
        ),
        pytest.param(["--tenant", "acme", "--confirm", "acme"], "pass --outputs", id="no-stack"),
        pytest.param(["--tenant", "acme", "--outputs", "-"], "not JSON", id="pulumi-failed"),
    ],
)
def test_cli_refusals_say_what_to_fix(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    code, _ = run(project, *argv)
    assert code == 2 and said in capsys.readouterr().err


def test_cli_outputs_without_erasure_name_the_fix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A stack deployed before erasure existed has no erasure output: redeploy, it says."""
    code, _ = run(project, "--tenant", "acme", "--outputs", "-", "--dry-run", stdin='{"api_url": "x"}')
    assert code == 2 and "make up" in capsys.readouterr().err


def test_cli_local_erases_the_events_file_of_a_stopped_stack(project: Path) -> None:
    """`--local` alone erases `.local/events.sqlite3`, run as a module in a fresh process."""
    from datetime import UTC, datetime

    from governed_assistant.contracts import DecisionEvent
    from governed_assistant.runtime.telemetry import SqliteEventStore

    store = SqliteEventStore(project / ".local" / "events.sqlite3")
    for tenant in ("acme", "acme-corp"):
        store.emit(
            DecisionEvent(
                event_id=f"e-{tenant}", job_id=f"j-{tenant}", tenant_id=tenant, user_id="u", stage="gate",
                outcome="allow", latency_ms=1.0, details={"note": f"secret of {tenant}"},
                timestamp=datetime.now(UTC),
            )
        )  # fmt: skip
    command = [sys.executable, "-m", "governed_assistant.erasure", "--tenant", "acme", "--confirm", "acme"]
    done = subprocess.run(
        [*command, "--local", "--project", str(project)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "erased 1 of 1" in done.stdout
    assert (store.count_tenant("acme"), store.count_tenant("acme-corp")) == (0, 1)
    raw = (project / ".local" / "events.sqlite3").read_bytes()
    assert b"secret of acme-corp" in raw and b'secret of acme"' not in raw


def test_cli_store_that_fails_exits_1_after_the_others_ran(
    aws: Aws, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table that is not there fails its store; the others are still erased, and the exit status is 1."""
    DynamoDBJobStore(aws.client("dynamodb"), aws.tables.jobs).create(context("acme"))
    path = outputs(aws, project / "o.json")
    document = json.loads(path.read_text())
    document["erasure"]["approvals_table"] = "no-such-table"
    path.write_text(json.dumps(document))
    code, out = run(project, "--tenant", "acme", "--outputs", str(path), "--confirm", "acme")
    assert code == 1 and "run the erasure again" in capsys.readouterr().err
    assert re.search(r"approvals table no-such-table +FAILED: ResourceNotFoundException", out)
    assert f"jobs table {aws.tables.jobs}" in out and "erased 1 of 1" in out
