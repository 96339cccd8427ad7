"""The scaffolder adds what the spec calls for and never touches an existing file."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant.scaffold import plan_files, policy_hints, scaffold
from governed_assistant.scaffold.__main__ import main
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml


def test_scaffold_creates_every_planned_file(spec: AssistantSpec, tmp_path: Path) -> None:
    """An empty project gets one module and one test per action, a policy per role, a file per stack."""
    created = scaffold(spec, tmp_path)
    assert set(created) == {planned.path for planned in plan_files(spec)}
    assert (tmp_path / "actions" / "issue_refund.py").exists()
    assert (tmp_path / "tests" / "actions" / "test_issue_refund.py").exists()
    assert (tmp_path / "policies" / "supervisor.cedar").exists()
    assert (tmp_path / "Pulumi.prod.yaml").read_text().count("protectData: true") == 1


def test_scaffold_never_overwrites_an_existing_file(spec: AssistantSpec, tmp_path: Path) -> None:
    """A user's file is left byte for byte; only missing files are written."""
    mine = tmp_path / "actions" / "issue_refund.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("# my refund code\n")
    created = scaffold(spec, tmp_path)
    assert Path("actions", "issue_refund.py") not in created
    assert mine.read_text() == "# my refund code\n"
    assert scaffold(spec, tmp_path) == []


def test_scaffold_dry_run_writes_nothing(spec: AssistantSpec, tmp_path: Path) -> None:
    """--dry-run lists the files and writes none."""
    assert scaffold(spec, tmp_path, dry_run=True)
    assert list(tmp_path.iterdir()) == []


def test_policy_hints_name_the_policy_a_new_action_needs(document: dict[str, object], tmp_path: Path) -> None:
    """Adding an action to a scaffolded project points at the role policies to extend."""
    scaffold(parse_spec(render_spec_yaml(document)), tmp_path)
    actions = document["actions"]
    assert isinstance(actions, list)
    actions.append({**actions[0], "name": "close_ticket", "roles": ["agent"]})
    spec = parse_spec(render_spec_yaml(document))
    created = scaffold(spec, tmp_path)
    assert policy_hints(spec, tmp_path, created) == [
        'policies/agent.cedar: add Action::"close_ticket" to a permit so agent may run it'
    ]


def test_scaffold_cli_bad_spec_exits_1_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command refuses a broken spec, lists its problems and writes nothing."""
    (tmp_path / "assistant.yaml").write_text("spec_version: 2\nname: x\n")
    assert main(["--root", str(tmp_path)]) == 1
    assert "problems" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["assistant.yaml"]
