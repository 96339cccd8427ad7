"""The requirement line that pins the governance package: the URL pip needs for each template source."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO_ROOT
from tests.template.conftest import render, run

COMMIT = "0123456789abcdef0123456789abcdef01234567"
# Runs the extension in a child process: importing it purges governed_assistant modules, which
# must not happen to this test process.
_TRANSLATE = """
import json, runpy, sys
extension = runpy.run_path(sys.argv[1])
print(json.dumps([extension["_pip_vcs_url"](source) for source in sys.argv[2:]]))
"""


def pip_urls(*sources: str, cwd: Path = REPO_ROOT) -> list[str]:
    script = [sys.executable, "-c", _TRANSLATE, str(REPO_ROOT / "extensions" / "spec_extension.py"), *sources]
    done = subprocess.run(script, cwd=cwd, capture_output=True, text=True, check=True)
    urls: list[str] = json.loads(done.stdout)
    return urls


@pytest.mark.parametrize(
    ("source", "url"),
    [
        pytest.param("gh:acme/ga", "git+https://github.com/acme/ga.git", id="github-shortcut"),
        pytest.param("gl:acme/ga.git", "git+https://gitlab.com/acme/ga.git", id="gitlab-shortcut"),
        pytest.param("https://github.com/acme/ga.git", "git+https://github.com/acme/ga.git", id="https"),
        pytest.param("git+https://git.example.com/ga", "git+https://git.example.com/ga", id="git+https"),
        pytest.param("git@github.com:acme/ga.git", "git+ssh://git@github.com/acme/ga.git", id="scp-ssh"),
        pytest.param("/srv/tpl", "git+file://localhost/srv/tpl", id="local-path"),
    ],
)
def test_template_source_becomes_the_url_pip_clones(source: str, url: str) -> None:
    """Each form copier accepts becomes a pip VCS URL, and the requirement line parses."""
    assert pip_urls(source) == [url]
    line = f"governed-assistant[infra] @ {url}@{COMMIT}#subdirectory=components"
    requirement = Requirement(line)
    assert (requirement.name, requirement.extras) == ("governed-assistant", {"infra"})


def test_relative_template_path_is_pinned_absolute(tmp_path: Path) -> None:
    """A relative path is resolved where copier ran, so the pin works from anywhere."""
    (tmp_path / "work").mkdir()
    assert pip_urls("../templates/governed", cwd=tmp_path / "work") == [
        f"git+file://localhost{tmp_path}/templates/governed"
    ]


def test_dirty_template_checkout_is_pinned_by_path_and_says_so(template_repo: Path, tmp_path: Path) -> None:
    """Uncommitted template changes have no commit to pin: the project installs the checkout's tree."""
    checkout = tmp_path / "checkout"
    run(["git", "clone", "-q", str(template_repo), str(checkout)], cwd=tmp_path)
    with (checkout / "CHANGELOG.md").open("a") as changelog:
        changelog.write("\n- an uncommitted change\n")
    project = render(checkout, tmp_path / "project", {})
    requirements = (project / "requirements.txt").read_text().splitlines()
    assert "# Rendered from uncommitted template changes: not pinned to a commit." in requirements
    assert f"governed-assistant[infra] @ {(checkout / 'components').as_uri()}" in requirements
