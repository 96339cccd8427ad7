"""The oldest copier copier.yml allows (`_min_copier_version`) copies and updates a project.

That release is installed on its own, from the machine's package index, into a throwaway venv:
the shared venv has the newest copier, so only this test proves the floor the README documents.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT, skip_or_fail_in_ci
from tests.template.conftest import EARLIER_RELEASES, commit_all, run

MIN_COPIER = str(yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["_min_copier_version"])


@pytest.fixture(scope="module")
def oldest_copier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copier executable of exactly ``_min_copier_version``, with the extension loader copier.yml uses."""
    venv = tmp_path_factory.mktemp("copier-min") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"copier=={MIN_COPIER}",
         "copier-template-extensions>=0.3.4,<1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if installed.returncode != 0:
        skip_or_fail_in_ci(f"copier=={MIN_COPIER} could not be installed: {installed.stderr[-500:]}")
    return venv / "bin" / "copier"


def test_min_copier_version_is_the_release_that_fixes_the_path_traversal_advisory() -> None:
    """CVE-2025-55201 (GHSA-3xw7-v6cj-5q8h) affects copier before 9.9.1: the floor is not below it."""
    assert tuple(int(part) for part in MIN_COPIER.split(".")) >= (9, 9, 1)
    floor = f"copier>={MIN_COPIER},"
    assert floor in (REPO_ROOT / "requirements-template.txt").read_text()
    assert f"'copier>={MIN_COPIER}'" in (REPO_ROOT / "README.md").read_text()


def test_oldest_copier_copies_and_updates(oldest_copier: Path, template_repo: Path, tmp_path: Path) -> None:
    """With the oldest allowed copier: copy the previous release, then update to this one, cleanly."""
    version = run([str(oldest_copier), "--version"], cwd=tmp_path).stdout
    assert MIN_COPIER in version
    project = tmp_path / "project"
    previous = EARLIER_RELEASES[0]
    run(
        [str(oldest_copier), "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", f"v{previous}",
         str(template_repo), str(project)],
        cwd=tmp_path,
    )  # fmt: skip
    commit_all(project, f"rendered from v{previous}")
    update = [str(oldest_copier), "update", "--trust", "--defaults", "--vcs-ref", "HEAD"]
    run(update, cwd=project)
    assert run(["git", "diff", "--name-only", "--diff-filter=U"], cwd=project).stdout == ""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] != f"v{previous}"
    assert "roles" in answers  # the question this release added was answered (by its default)
    commit_all(project, "updated")
    # Updated again, nothing changes: this copier tells the scaffold task it runs for an update
    # (COPIER_OPERATION), so the task reports none of the stubs copier's throwaway renders create.
    again = run(update, cwd=project)
    assert "created " not in again.stdout + again.stderr
    assert run(["git", "status", "--porcelain"], cwd=project).stdout == ""
