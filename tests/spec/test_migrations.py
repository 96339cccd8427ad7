"""Spec migrations bring old specs to the current version, keeping the user's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant.spec import SPEC_VERSION, parse_spec
from governed_assistant.spec.__main__ import main
from governed_assistant.spec.migrations import MigrationError, migrate_file, migrate_text, rename_key

V1_RISK = """\
spec_version: 1   # written by template 0.1
# Our thresholds, agreed with security on 2026-10-01.
risk:
  approval_threshold: 0.4  # lower than the default
  deny_threshold: 0.8
"""


def test_migrate_text_v1_renames_thresholds_and_keeps_comments() -> None:
    """v1 -> v2 renames the threshold keys in place; comments and values stay."""
    text, applied = migrate_text(V1_RISK)
    assert applied == [2]
    assert text == V1_RISK.replace("spec_version: 1", "spec_version: 2").replace(
        "approval_threshold:", "approval:"
    ).replace("deny_threshold:", "deny:")


def test_migrate_text_current_version_is_unchanged() -> None:
    """A spec at the current version passes through untouched."""
    text = f"spec_version: {SPEC_VERSION}\nrisk: {{approval: 0.5}}\n"
    assert migrate_text(text) == (text, [])


def test_migrate_text_newer_version_says_to_update_the_template() -> None:
    """A spec newer than the template is refused with the fix."""
    with pytest.raises(MigrationError, match="copier update"):
        migrate_text(f"spec_version: {SPEC_VERSION + 1}\n")


def test_migrate_text_missing_version_is_refused() -> None:
    """A spec without spec_version is refused with how to fix it."""
    with pytest.raises(MigrationError, match="not a version number"):
        migrate_text("name: x\n")


def test_rename_key_absent_key_is_a_no_op() -> None:
    """Renaming a key that is not there changes nothing."""
    assert rename_key("a:\n  b: 1\n", ("a", "c"), "d") == "a:\n  b: 1\n"


def test_migrate_file_migrated_spec_loads(tmp_path: Path, spec_v1_text: str) -> None:
    """A whole v1 spec file migrates to one the current loader accepts, and migrating twice is a no-op."""
    path = tmp_path / "assistant.yaml"
    path.write_text(spec_v1_text)
    assert migrate_file(path) == [2]
    spec = parse_spec(path.read_text())
    assert spec.risk.approval == 0.5
    assert migrate_file(path) == []


def test_spec_cli_migrate_reports_what_it_did(
    tmp_path: Path, spec_v1_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m governed_assistant.spec migrate` migrates and says so; a second run says it is current."""
    path = tmp_path / "assistant.yaml"
    path.write_text(spec_v1_text)
    assert main(["migrate", str(path)]) == 0
    assert main(["migrate", str(path)]) == 0
    assert main(["check", str(path)]) == 0
    output = capsys.readouterr().out
    assert "migrated to spec_version 2" in output
    assert "already at spec_version 2" in output


@pytest.fixture
def spec_v1_text(document: dict[str, object]) -> str:
    from governed_assistant.spec.answers import render_spec_yaml

    document["spec_version"] = 1
    risk = document["risk"]
    assert isinstance(risk, dict)
    document["risk"] = {"approval_threshold": risk["approval"], "deny_threshold": risk["deny"]}
    return render_spec_yaml(document)
