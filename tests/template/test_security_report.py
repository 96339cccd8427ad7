"""`make security-report` in a rendered project, after its own `make test`: the document links every
control to tests that ran in that run, and a partial run fails the report, naming what did not run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.template.conftest import GIT_IDENTITY, SHARED_VENV, render

# The controls proven only by tests outside tests/test_infra.py and tests/test_openapi.py, written
# out from controls.py's table by hand: the partial run below must name exactly these.
NOT_IN_INFRA_OR_OPENAPI = {
    "identity-from-verified-claims",
    "input-guardrail",
    "retrieved-passages-screened",
    "cedar-roles-per-action",
    "cross-tenant-resource-denied",
    "approval-by-another-user-of-the-tenant",
    "steps-rederive-authority-from-records",
    "shadow-mode-never-executes",
    "failures-retried-then-compensated",
}


def make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # As from the user's shell: no PYTHONPATH, no make variables of the make running this suite.
    dropped = {"PYTHONPATH", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    env = {key: value for key, value in os.environ.items() if key not in dropped} | GIT_IDENTITY
    command = ["make", "--no-print-directory", f"VENV={SHARED_VENV}", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(template_repo, tmp_path_factory.mktemp("review") / "project", {})


def test_the_report_after_make_test_links_every_control_to_a_test_that_ran(project: Path) -> None:
    tested = make(project, "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    result = make(project, "security-report")
    assert result.returncode == 0, result.stdout + result.stderr
    document = (project / "build" / "security-report.md").read_text()
    assert "**Verdict: PASSED.**" in document
    assert "not in the test run" not in document
    # The default assistant has no retrieval: its planted-document scenario skips, saying why.
    assert "**retrieved-passages-screened**" in document
    for line in document.splitlines():
        if line.startswith("- **"):
            assert line.endswith(("Result: **passed**.", "Result: **not applicable**.")), line


def test_a_partial_run_fails_the_report_naming_the_controls_that_did_not_run(project: Path) -> None:
    python = SHARED_VENV / "bin" / "python"
    partial = ["tests/test_infra.py", "tests/test_openapi.py"]
    subprocess.run(
        [str(python), "-m", "pytest", "--junitxml=build/test-results.xml", *partial],
        cwd=project,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        capture_output=True,
        check=True,
    )
    result = make(project, "security-report")
    # make fails, reporting the command's own exit status: 1, a verdict, not 2, a refusal.
    assert result.returncode != 0, result.stdout + result.stderr
    assert "security-report] Error 1" in result.stderr
    not_run = next(line for line in result.stderr.splitlines() if line.startswith("not run: "))
    assert set(not_run.removeprefix("not run: ").split(", ")) == NOT_IN_INFRA_OR_OPENAPI
    assert "**Verdict: FAILED.**" in (project / "build" / "security-report.md").read_text()
