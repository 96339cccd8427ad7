"""`copier update` from an older release keeps every user edit and brings the new template in."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from tests.template.conftest import (
    EARLIER_RELEASES,
    SHARED_VENV,
    commit_all,
    copier,
    project_files,
    render,
    run,
)

NEW_ACTION = """\
- name: close_ticket
  description: Close a ticket the customer confirmed as solved.
  risk: 0.2
  roles: [agent]
  resource_type: ticket
  parameters: {type: object, properties: {}, additionalProperties: false}
"""
ACTION_EDIT = "    # Our ticket system is called here (a user edit that must survive updates).\n"
POLICY_EDIT = """
// Agents may close their own tenant's tickets (a user edit that must survive updates).
@id("agent-close-ticket")
permit (principal in Role::"agent", action == Action::"close_ticket", resource)
when { resource.tenant == principal.tenant };
"""
PROMPT_EDIT = "\nAlways answer in the customer's language.\n"
# The owner's committed lock (`make lock` writes it): copier renders none, so it is never touched.
LOCK_TEXT = "# requirements-sha256: 0123\n# architecture: arm64\n# python: 3.12\nsix==1.17.0\n"
# An owner's edit to vendored code (before 0.4.0): the migration must report and keep it.
VENDORED_FILE = "components/spec/model.py"
VENDORED_EDIT = "\n# Our local patch to the vendored spec model (must be reported, not dropped).\n"


def vendored(release: str) -> bool:
    """Whether projects of ``release`` carried the governance code in components/ (before 0.4.0)."""
    return tuple(int(part) for part in release.split(".")) < (0, 4, 0)


@pytest.fixture(scope="module", params=EARLIER_RELEASES, ids=[f"from-{v}" for v in EARLIER_RELEASES])
def updated(
    template_repo: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Path:
    """A project rendered from an earlier release, edited by its user, committed, then updated to HEAD."""
    release = request.param
    workspace = tmp_path_factory.mktemp(f"update-{release}")
    project = render(template_repo, workspace / "project", {}, vcs_ref=f"v{release}")
    commit_all(project, f"rendered from v{release}")

    action = project / "actions" / "update_ticket_status.py"
    action.write_text(
        action.read_text().replace(
            "    return ActionResult.not_implemented(",
            ACTION_EDIT + "    return ActionResult.not_implemented(",
            1,
        )
    )
    with (project / "assistant.yaml").open("a") as spec:
        spec.write(NEW_ACTION)
    with (project / "policies" / "agent.cedar").open("a") as policy:
        policy.write(POLICY_EDIT)
    with (project / "prompts" / "system.md").open("a") as prompt:
        prompt.write(PROMPT_EDIT)
    (project / "requirements.lock").write_text(LOCK_TEXT)
    if vendored(release):
        with (project / VENDORED_FILE).open("a") as vendored_file:
            vendored_file.write(VENDORED_EDIT)
    commit_all(project, "user edits")

    result = copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    if result.returncode != 0:
        pytest.fail(f"copier update failed:\n{result.stdout}\n{result.stderr}")
    (project / "update-output.txt").write_text(result.stdout + result.stderr)
    (project / "release.txt").write_text(release)
    return project


def test_update_leaves_no_conflicts(updated: Path) -> None:
    """No file has conflict markers and no .rej file is left."""
    files = project_files(updated)
    assert not [name for name in files if name.endswith(".rej")]
    marked = [name for name in files if "<<<<<<< " in (updated / name).read_text(errors="ignore")]
    assert marked == []


def test_update_keeps_every_user_edit(updated: Path) -> None:
    """The action body, the new action, the policy line, the prompt edit and the lock all survive."""
    assert ACTION_EDIT in (updated / "actions" / "update_ticket_status.py").read_text()
    assert "name: close_ticket" in (updated / "assistant.yaml").read_text()
    assert POLICY_EDIT in (updated / "policies" / "agent.cedar").read_text()
    assert PROMPT_EDIT in (updated / "prompts" / "system.md").read_text()
    assert (updated / "requirements.lock").read_text() == LOCK_TEXT


def test_update_leaves_no_vendored_code(updated: Path) -> None:
    """The project no longer carries components/: it pins the governance package instead."""
    assert not (updated / "components").exists()
    requirements = (updated / "requirements.txt").read_text()
    assert "governed-assistant[infra] @ git+file://localhost/" in requirements
    assert "#subdirectory=components" in requirements


def test_update_reports_and_keeps_edits_to_vendored_files(updated: Path) -> None:
    """An owner's edit to a vendored file is listed in the update's output and kept for review."""
    if not vendored((updated / "release.txt").read_text()):
        assert not (updated / "vendored-edits").exists()
        return
    kept = updated / "vendored-edits" / VENDORED_FILE
    assert VENDORED_EDIT in kept.read_text()
    output = (updated / "update-output.txt").read_text()
    assert VENDORED_FILE in output
    # Only the edited file is reported: the untouched vendored files are not.
    assert list((updated / "vendored-edits").rglob("*.py")) == [kept]


def test_update_points_owner_imports_at_the_package(updated: Path) -> None:
    """The owner's action module imports governed_assistant, never the removed components."""
    action = (updated / "actions" / "update_ticket_status.py").read_text()
    assert re.search(r"^from governed_assistant[. ]", action, re.MULTILINE)
    assert "components" not in action


def test_update_brings_every_new_template_file(updated: Path, template_repo: Path, tmp_path: Path) -> None:
    """Every file a fresh HEAD render has, the updated project has too (new action's stubs included)."""
    fresh = render(template_repo, tmp_path / "fresh", {})
    missing = project_files(fresh) - project_files(updated)
    assert missing == set()
    assert (updated / "actions" / "close_ticket.py").exists()
    assert (updated / "tests" / "actions" / "test_close_ticket.py").exists()


def test_update_runs_the_spec_migration(updated: Path) -> None:
    """The 0.2.0 migration moved assistant.yaml to spec_version 2, renaming the thresholds in place."""
    text = (updated / "assistant.yaml").read_text()
    assert "spec_version: 2" in text
    assert "  approval: 0.5\n" in text
    assert "  deny: 0.9\n" in text
    assert "approval_threshold:" not in text


def test_updated_project_passes_its_own_tests(updated: Path) -> None:
    """After the update, the project's own `make test` passes (its end-to-end demo from the oldest
    release, which crosses every migration; the others would repeat it a minute each)."""
    oldest = (updated / "release.txt").read_text() == EARLIER_RELEASES[-1]
    options = [] if oldest else ["PYTEST_ARGS=--ignore=tests/test_e2e.py"]
    run(["make", "test", f"VENV={SHARED_VENV}", *options], cwd=updated)


def test_update_runs_from_inside_a_project_copied_from_a_relative_path(
    template_repo: Path, tmp_path: Path
) -> None:
    """`copier copy ../template app`, then `copier update` inside app: it works, and claims no file."""
    source = os.path.relpath(template_repo, tmp_path)
    copied = copier("copy", "--trust", "--defaults", "--vcs-ref", "HEAD", source, "app", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    project = tmp_path / "app"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_src_path"]
    assert Path(recorded) == template_repo.resolve()
    commit_all(project, "copied")

    updated = copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    assert updated.returncode == 0, updated.stderr
    # Nothing changed, so nothing may be said to be created (copier's throwaway renders create
    # every stub; the scaffold task must not report those).
    assert "created " not in updated.stdout + updated.stderr
    assert run(["git", "status", "--porcelain"], cwd=project).stdout == ""


def test_update_from_before_0_5_keeps_the_projects_own_actions(template_repo: Path, tmp_path: Path) -> None:
    """A project made with actions of its own (not the preset's) updates with them: the 0.5.0 migration
    records them under actions_recorded, as copier no longer asks (nor replays) the actions question."""
    previous = next(release for release in EARLIER_RELEASES if release.startswith("0.4."))
    own = [action for action in yaml.safe_load(NEW_ACTION)]  # one action, not the preset's four
    answers = {"actions": own, "approver_roles": ["agent"], "admin_roles": []}
    project = render(template_repo, tmp_path / "project", answers, vcs_ref=f"v{previous}")
    commit_all(project, f"rendered from v{previous}")
    result = copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert [action["name"] for action in recorded["actions_recorded"]] == ["close_ticket"]
    assert recorded["roles"] == {"agent": "Support agents who work tickets for their own tenant."}
    assert run(["git", "diff", "--name-only", "--diff-filter=U"], cwd=project).stdout == ""
    assert "issue_refund" not in (project / "README.md").read_text()
