"""Demo scenarios on specs unlike the presets: each must run, not skip, where the spec allows it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from governed_assistant.local.demo import run_demo
from governed_assistant.scaffold.planner import scaffold
from governed_assistant.spec import load_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import preset_document

WORKFLOW_SCENARIO = 7


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
