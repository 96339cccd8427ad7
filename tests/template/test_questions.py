"""Bad copier answers are refused with a message naming the answer and the fix, writing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import preset_answers
from tests.template.conftest import copier


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
    pytest.param({"project_slug": "My App"}, "project_slug", "not a valid project slug", id="slug"),
    pytest.param({"retention_days": 31}, "retention_days", "retention period", id="retention"),
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
    output = result.stdout + result.stderr
    assert f"Validation error for question '{question}'" in output
    assert message in output
    assert not destination.exists()


def test_copy_answer_outside_choices_refused_and_nothing_written(template_repo: Path, tmp_path: Path) -> None:
    """A choice question answered with something not offered is refused, listing the choices."""
    data_file = tmp_path / "answers.yml"
    data_file.write_text(yaml.safe_dump({"retrieval_backend": "mysql"}))
    destination = tmp_path / "project"
    result = copier(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data-file", str(data_file),
        str(template_repo), str(destination),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert "'mysql' is not in ['none', 'knowledge-base', 'opensearch', 'pgvector']" in result.stderr
    assert not destination.exists()
