"""Bad copier answers are refused with a message naming the answer and the fix, writing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from tests.conftest import REPO_ROOT, preset_answers
from tests.template.conftest import commit_all, copier, run


def _actions_with(change: str) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = preset_answers("bounded-action")[0]["actions"]
    if change == "name":
        actions[1]["name"] = "drop table"
    else:
        actions[3]["parameters"]["properties"]["amount"]["type"] = "strng"
    return actions


BAD_ANSWERS = [
    pytest.param({"approval_threshold": 1.5}, "approval_threshold", "between 0 and 1", id="threshold-range"),
    pytest.param(
        {"approval_threshold": 0.95, "deny_threshold": 0.9},
        "deny_threshold",
        "must be at least the approval threshold",
        id="threshold-order",
    ),
    pytest.param(
        {"actions": _actions_with("name")},
        "actions",
        "actions[1].name: 'drop table' is not a valid action name",
        id="action-name",
    ),
    pytest.param(
        {"actions": _actions_with("type")},
        "actions",
        "actions[3].parameters.properties.amount.type: 'strng' is not a JSON Schema type; use one of string",
        id="schema-type",
    ),
    pytest.param(
        {"roles": {"agent": "Support agents.", "supervisor": "Supervisors."}},
        "roles",
        "role 'admin' is used (admin_roles[0]) but not described; add a line `admin: <who holds it>`",
        id="role-undescribed",
    ),
    pytest.param(
        {
            "roles": {
                "agent": "Agents.\npermit (principal, action, resource);",
                "supervisor": "S.",
                "admin": "A.",
            }
        },
        "roles",
        "roles.agent: a role's description is one line of text, but it has a line break",
        id="role-two-lines",
    ),
    pytest.param({"project_slug": "My App"}, "project_slug", "not a valid project slug", id="slug"),
    pytest.param({"retention_days": 31}, "retention_days", "retention period", id="retention"),
    pytest.param({"kms_key": "alias/support-ops"}, "kms_key", "an alias names a key", id="kms-key-alias"),
    pytest.param({"stacks": ["dev", "dev"]}, "stacks", "duplicate stack", id="stacks"),
    pytest.param({"pii_entities": ["SSN"]}, "pii_entities", "'SSN'", id="pii"),
    pytest.param(
        {"identity_provider": "oidc", "oidc_issuer": "http://insecure"},
        "oidc_issuer",
        "https://",
        id="oidc-issuer",
    ),
]


@pytest.mark.parametrize(("answers", "question", "message"), BAD_ANSWERS)
def test_copy_bad_answer_file_refused_and_nothing_written(
    template_repo: Path, tmp_path: Path, answers: dict[str, Any], question: str, message: str
) -> None:
    """`copier copy --data-file` with a bad answer fails, names the question and the fix, writes nothing."""
    data_file = tmp_path / "answers.yml"
    data_file.write_text(yaml.safe_dump(answers))
    destination = tmp_path / "project"
    result = copier(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data-file", str(data_file),
        str(template_repo), str(destination),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"Validation error for question '{question}'" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not destination.exists()


def _copy_with(answers: dict[str, Any], tmp_path: Path, template_repo: Path) -> tuple[Any, Path]:
    data_file = tmp_path / "answers.yml"
    data_file.write_text(yaml.safe_dump(answers))
    destination = tmp_path / "project"
    result = copier(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data-file", str(data_file),
        str(template_repo), str(destination),
        cwd=tmp_path,
    )  # fmt: skip
    return result, destination


def test_copy_answer_outside_choices_refused_and_nothing_written(template_repo: Path, tmp_path: Path) -> None:
    """A choice question answered with something not offered is refused, listing the choices."""
    result, destination = _copy_with({"retrieval_backend": "mysql"}, tmp_path, template_repo)
    assert result.returncode != 0
    assert (
        "Validation error for question 'retrieval_backend': retrieval.backend: Input should be 'none', "
        "'knowledge-base', 'opensearch' or 'pgvector', got 'mysql'"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert not destination.exists()


def test_copy_three_bad_answers_all_listed_without_traceback(template_repo: Path, tmp_path: Path) -> None:
    """Three bad answers in a data file are refused at once, each under its question, with no traceback."""
    answers = {"project_slug": "Bad Slug!", "approval_threshold": 2, "retention_days": 31}
    result, destination = _copy_with(answers, tmp_path, template_repo)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "3 answers are invalid, so nothing was written:" in result.stderr
    for question, path, fragment in [
        ("project_slug", "slug", "'Bad Slug!' is not a valid project slug"),
        ("approval_threshold", "risk.approval", "out of range"),
        ("retention_days", "observability.retention_days", "31 is not a CloudWatch Logs retention period"),
    ]:
        assert f"Validation error for question '{question}': {path}: " in result.stderr
        assert fragment in result.stderr
    assert not destination.exists() or not any(destination.iterdir())


def test_copy_answer_a_later_default_follows(template_repo: Path, tmp_path: Path) -> None:
    """An approval threshold above the deny default's 0.9 moves that default up with it: no refusal."""
    result, destination = _copy_with({"approval_threshold": 0.95}, tmp_path, template_repo)
    assert result.returncode == 0, result.stderr
    risk = yaml.safe_load((destination / "assistant.yaml").read_text())["risk"]
    assert risk == {"approval": 0.95, "deny": 0.95}


def test_copy_valid_answer_file_renders_its_answers(template_repo: Path, tmp_path: Path) -> None:
    """A valid data file renders, text given to a yaml question parsed as copier parses it."""
    answers = {
        "project_name": "Billing Desk",
        "approval_threshold": 0.6,
        "retention_days": 90,
        "kms_key": "create",
        "stacks": "[dev, staging]",
        "identity_provider": "oidc",
    }
    result, destination = _copy_with(answers, tmp_path, template_repo)
    assert result.returncode == 0, result.stderr
    spec = yaml.safe_load((destination / "assistant.yaml").read_text())
    assert (spec["slug"], spec["risk"]["approval"], spec["stacks"]) == (
        "billing_desk",
        0.6,
        ["dev", "staging"],
    )
    assert spec["observability"]["retention_days"] == 90
    assert spec["kms_key"] == "create"
    assert spec["identity"]["issuer"] == "https://login.example.com/"


def test_copy_roles_default_to_the_presets_descriptions(template_repo: Path, tmp_path: Path) -> None:
    """Unanswered, each role keeps its preset's description, in assistant.yaml and its policy's header."""
    result, destination = _copy_with({}, tmp_path, template_repo)
    assert result.returncode == 0, result.stderr
    roles = yaml.safe_load((destination / "assistant.yaml").read_text())["roles"]
    assert roles["agent"] == "Support agents who work tickets for their own tenant."
    header = (destination / "policies" / "agent.cedar").read_text().splitlines()[0]
    assert header == "// Role 'agent': Support agents who work tickets for their own tenant."


def test_copy_custom_preset_with_own_actions_and_described_roles(template_repo: Path, tmp_path: Path) -> None:
    """The custom preset supplies no pattern: the user's own actions and role descriptions render."""
    action = {
        "name": "close_case",
        "description": "Close a field case with a resolution note.",
        "risk": 0.3,
        "roles": ["field-agent"],
        "resource_type": "case",
        "parameters": {
            "type": "object",
            "properties": {"note": {"type": "string", "maxLength": 500, "description": "The resolution."}},
            "required": ["note"],
            "additionalProperties": False,
        },
    }
    roles = {
        "field-agent": "Technicians who close the cases they worked, in their own tenant.",
        "ops-lead": "Operations leads who approve risky closures.",
        "auditor": "Auditors who read every job of their tenant.",
    }
    answers = {
        "preset": "custom",
        "description": "Closes field cases.",
        "actions": [action],
        "approver_roles": ["ops-lead"],
        "admin_roles": ["auditor"],
        "roles": roles,
    }
    result, destination = _copy_with(answers, tmp_path, template_repo)
    assert result.returncode == 0, result.stderr
    spec = yaml.safe_load((destination / "assistant.yaml").read_text())
    assert (spec["pattern"], spec["roles"], [a["name"] for a in spec["actions"]]) == (
        "custom",
        roles,
        ["close_case"],
    )
    assert sorted(path.name for path in (destination / "policies").iterdir()) == [
        "auditor.cedar", "field-agent.cedar", "ops-lead.cedar",
    ]  # fmt: skip
    assert (destination / "actions" / "close_case.py").is_file()


def test_copy_custom_preset_defaults_start_with_no_actions(template_repo: Path, tmp_path: Path) -> None:
    """`--defaults` with the custom preset: no actions, no description, an approver and an admin role."""
    result, destination = _copy_with({"preset": "custom"}, tmp_path, template_repo)
    assert result.returncode == 0, result.stderr
    spec = yaml.safe_load((destination / "assistant.yaml").read_text())
    assert (spec["pattern"], spec["mode"], spec["actions"], spec["description"]) == (
        "custom",
        "operate",
        [],
        "",
    )
    assert (spec["approver_roles"], spec["admin_roles"]) == (["approver"], ["admin"])
    assert set(spec["roles"]) == {"approver", "admin"}
    assert "Users with the" not in str(spec["roles"])


ACTIONS_FILE = """\
# Our field service actions.
- name: close_case
  description: Close a field case with a resolution note.
  risk: 0.3
  roles: [field-agent]
  resource_type: case
  parameters:
    type: object
    properties:
      note: {type: string, maxLength: 500, description: The resolution.}
    required: [note]
    additionalProperties: false
"""


@pytest.mark.parametrize(("actions_from", "asked"), [("preset", False), ("file", False), ("editor", True)])
def test_actions_editor_opens_only_when_chosen(actions_from: str, asked: bool) -> None:
    """The YAML editor is one choice of three, not the default: the actions question is asked only for it."""
    questions = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    assert questions["actions_from"]["default"] == "preset"
    when = jinja2.Environment(autoescape=False).from_string(questions["actions"]["when"])  # noqa: S701 - YAML
    assert when.render(mode="operate", actions_from=actions_from) == str(asked)
    assert when.render(mode="answer", actions_from=actions_from) == "False"


def test_copy_actions_from_a_file_render_recorded_and_replayed_on_update(
    template_repo: Path, tmp_path: Path
) -> None:
    """Actions read from the user's file become the spec's; the answers file records them, so an
    update inside the project (the file long gone) replays them and changes nothing."""
    (tmp_path / "field-actions.yaml").write_text(ACTIONS_FILE)
    answers = {"preset": "custom", "actions_from": "file", "actions_file": "field-actions.yaml"}
    result, destination = _copy_with(answers, tmp_path, template_repo)
    assert result.returncode == 0, result.stderr
    spec = yaml.safe_load((destination / "assistant.yaml").read_text())
    assert [action["name"] for action in spec["actions"]] == ["close_case"]
    assert set(spec["roles"]) == {"field-agent", "approver", "admin"}
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert [action["name"] for action in recorded["actions_recorded"]] == ["close_case"]
    assert "actions" not in recorded  # not asked, so copier would neither record nor replay it

    (tmp_path / "field-actions.yaml").unlink()
    commit_all(destination, "copied")
    updated = copier("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=destination)
    assert updated.returncode == 0, updated.stderr
    assert run(["git", "status", "--porcelain"], cwd=destination).stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot read the actions file 'field-actions.yaml'", id="missing"),
        pytest.param("- [unclosed\n", "the actions file is not YAML", id="not-yaml"),
        pytest.param(
            ACTIONS_FILE.replace("close_case", "Close Case"),
            "actions[0].name: 'Close Case' is not a valid",
            id="bad",
        ),
    ],
)
def test_copy_actions_file_refused_under_its_question_and_nothing_written(
    template_repo: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    """A missing, unparsable or invalid actions file is refused under actions_file, without a traceback."""
    if content is not None:
        (tmp_path / "field-actions.yaml").write_text(content)
    answers = {"actions_from": "file", "actions_file": "field-actions.yaml"}
    result, destination = _copy_with(answers, tmp_path, template_repo)
    assert result.returncode != 0
    assert "Validation error for question 'actions_file': " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not destination.exists()
