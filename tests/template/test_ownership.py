"""Who owns which file: the template's carry a header, the user's are never overwritten."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.template.conftest import SHARED_VENV, project_files, render, run

HEADER = "Managed by the governed-assistant template"
# Files without a comment syntax (openapi.json is JSON, written by a task), or rendered by copier itself.
NO_HEADER = {"py.typed", ".copier-answers.yml", "openapi.json"}


@pytest.fixture(scope="module")
def project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    rendered = render(template_repo, tmp_path_factory.mktemp("ownership") / "project", {})
    # The package this project pins, installed as a user's `make install` would.
    run(["make", "install", f"VENV={SHARED_VENV}"], cwd=rendered)
    return rendered


def _user_owned(project: Path) -> set[str]:
    """Files copier skips when they exist, plus everything the scaffolder writes."""
    skip = set(yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["_skip_if_exists"])
    scaffolded = run(
        [str(SHARED_VENV / "bin" / "python"), "-c",
         "from governed_assistant.scaffold import plan_files; from governed_assistant.spec import load_spec; "
         "print('\\n'.join(str(p.path) for p in plan_files(load_spec())))"],
        cwd=project,
    ).stdout.split()  # fmt: skip
    return skip | set(scaffolded)


def test_template_owned_files_carry_the_header(project: Path) -> None:
    """Every file the template owns says so near its top."""
    owned = project_files(project) - _user_owned(project)
    missing = [
        name
        for name in sorted(owned)
        if Path(name).name not in NO_HEADER
        and not name.endswith(".j2")
        and HEADER not in "".join((project / name).read_text().splitlines(keepends=True)[:3])
    ]
    assert missing == []


def test_user_owned_files_carry_no_header(project: Path) -> None:
    """A user's file never claims to be the template's (it would invite overwriting it)."""
    claimed = [name for name in _user_owned(project) if HEADER in (project / name).read_text()]
    assert claimed == []


def test_make_scaffold_adds_new_action_and_touches_nothing_else(project: Path) -> None:
    """After a new action lands in assistant.yaml, `make scaffold` writes its stubs and nothing more."""
    before = {
        name: hashlib.sha256((project / name).read_bytes()).hexdigest() for name in project_files(project)
    }
    first = run(["make", "scaffold", f"VENV={SHARED_VENV}"], cwd=project)
    assert "nothing to scaffold" in first.stdout
    with (project / "assistant.yaml").open("a") as spec:
        spec.write(
            "- name: merge_tickets\n  description: Merge a duplicate ticket into another ticket.\n"
            "  risk: 0.3\n  roles: [agent]\n  resource_type: ticket\n"
            "  parameters: {type: object, properties: {into: {type: string}}, required: [into]}\n"
        )
    second = run(["make", "scaffold", f"VENV={SHARED_VENV}"], cwd=project)
    assert "created actions/merge_tickets.py" in second.stdout
    assert 'next: policies/agent.cedar: add Action::"merge_tickets"' in second.stdout
    after = {
        name: hashlib.sha256((project / name).read_bytes()).hexdigest() for name in project_files(project)
    }
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"assistant.yaml"}
    assert set(after) - set(before) == {"actions/merge_tickets.py", "tests/actions/test_merge_tickets.py"}
