"""Rendering real projects from this template, as users do: copier in a subprocess, from git."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

RELEASE_HEADING = re.compile(r"^## (\d+\.\d+\.\d+) - (unreleased|[0-9a-f]{7,40})\s*$", re.MULTILINE)


def releases() -> dict[str, str]:
    """CHANGELOG.md's releases, ``{version: commit}``, newest first; ``HEAD`` for the unreleased one."""
    text = (REPO_ROOT / "CHANGELOG.md").read_text()
    return {
        version: "HEAD" if commit == "unreleased" else commit
        for version, commit in RELEASE_HEADING.findall(text)
    }


# The releases `tests/template/test_update.py` updates projects from: every one before the newest.
EARLIER_RELEASES = list(releases())[1:]
SHARED_VENV = Path(sys.prefix)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def run(command: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command with a git identity; on failure, show its output in the test report."""
    # No PYTHONPATH: a rendered project imports the governance package it pinned, not this tree's.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | GIT_IDENTITY
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def copier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "copier", *args], cwd=cwd, check=False)


def render(template: Path, destination: Path, answers: dict[str, Any], vcs_ref: str = "HEAD") -> Path:
    """``copier copy --trust --defaults`` with ``answers`` as a data file; fails the test on error."""
    data_file = destination.parent / f"{destination.name}-answers.yml"
    data_file.write_text(yaml.safe_dump(answers))
    result = copier(
        "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", vcs_ref,
        "--data-file", str(data_file), str(template), str(destination),
        cwd=destination.parent,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"copier copy failed:\n{result.stdout}\n{result.stderr}")
    return destination


def commit_all(project: Path, message: str) -> None:
    if not (project / ".git").exists():
        run(["git", "init", "-q", "-b", "main"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=project)


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A clone of this repository whose HEAD is the working tree under test, tagged for updates.

    The working tree's uncommitted files are committed in the clone, so the tests render
    what is on disk; every release in CHANGELOG.md is tagged, the unreleased one at that HEAD.
    """
    clone = tmp_path_factory.mktemp("template") / "repo"
    run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], cwd=clone.parent)
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT).stdout
    archive = clone.parent / "worktree.tar"
    with tarfile.open(archive, "w") as tar:
        for name in filter(None, listed.split("\0")):
            if (REPO_ROOT / name).exists():
                tar.add(REPO_ROOT / name, arcname=name, recursive=False)
    with tarfile.open(archive) as tar:
        tar.extractall(clone, filter="tar")
    commit_all(clone, "the working tree under test")
    for version, commit in releases().items():
        run(["git", "tag", "-f", f"v{version}", commit], cwd=clone)
    # pip keeps an installed governed-assistant of the same version, whatever URL it came from:
    # remove any, so the first rendered project installs this clone's, as it pins.
    run(
        [str(SHARED_VENV / "bin" / "python"), "-m", "pip", "uninstall", "-y", "-q", "governed-assistant"],
        cwd=clone,
    )
    yield clone


def project_files(root: Path) -> set[str]:
    """Every file of a project, relative, without git's or caches' own."""
    ignored = {".git", "__pycache__", ".venv", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and not ignored & set(path.relative_to(root).parts)
    }
