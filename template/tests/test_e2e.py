# Managed by the governed-assistant template; `copier update` refreshes this file.
"""End to end: the demo scenarios against the local stack, over real HTTP, with sample executors.

One run of ``python -m governed_assistant.local demo`` in a fresh process (the sample executors replace
``actions.*`` there, never in this test process); each scenario is then checked on its own.
A scenario the spec has nothing for is skipped with the reason the demo gave.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from governed_assistant.testing import DEMO_SCENARIOS


@pytest.fixture(scope="module")
def outcomes(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    # The run keeps its events in its own directory: `make trace` lists only the owner's jobs.
    workspace = tmp_path_factory.mktemp("e2e")
    report = workspace / "report.json"
    run = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "governed_assistant.local",
            "--project",
            str(project_root),
            "demo",
            "--report",
            str(report),
            "--state-dir",
            str(workspace / "state"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if not report.exists():
        pytest.fail(f"the demo did not run (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    return {outcome["number"]: outcome for outcome in json.loads(report.read_text())}


@pytest.mark.parametrize(
    "number", range(1, len(DEMO_SCENARIOS) + 1), ids=[title for title, _ in DEMO_SCENARIOS]
)
def test_demo_scenario_behaves_as_governed(outcomes: dict[int, dict[str, Any]], number: int) -> None:
    """The scenario passes against the local stack, or the spec has nothing for it."""
    outcome = outcomes[number]
    if outcome["status"] == "skipped":
        pytest.skip(outcome["detail"])
    assert outcome["status"] == "passed", outcome["detail"] + "\n" + "\n".join(outcome["traces"])
