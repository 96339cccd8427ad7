"""A generated project's checks: `make lint` runs ruff and strict mypy; the pre-commit hooks run the same."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT, require_module
from tests.template.conftest import SHARED_VENV, commit_all, render, run

TEMPLATE = REPO_ROOT / "template"


def _make_variables(makefile: str) -> dict[str, str]:
    """The Makefile's simple assignments (``NAME ?= value``, ``NAME := value``), expanded in order."""
    variables: dict[str, str] = {}
    for name, value in re.findall(r"^([A-Z_]+)\s*[?:]?=\s*(.*)$", makefile, re.MULTILINE):
        variables[name] = _expand(value.strip(), variables)
    return variables


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\(([A-Z_]+)\)", lambda match: variables[match.group(1)], text)


def lint_commands(makefile: str) -> list[str]:
    """The commands of the Makefile's ``lint`` recipe, with its variables at their defaults."""
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no lint recipe"
    variables = _make_variables(makefile)
    return [_expand(line.strip(), variables) for line in recipe.group(1).splitlines()]


def test_precommit_hooks_run_make_lints_commands() -> None:
    """Each hook is one of `make lint`'s commands, in its order, with the project's .venv; none is missing."""
    commands = lint_commands((TEMPLATE / "Makefile").read_text())
    config = yaml.safe_load((TEMPLATE / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    assert local["repo"] == "local"
    assert [hook["entry"] for hook in local["hooks"]] == commands
    assert commands == [
        ".venv/bin/python -m ruff check .",
        ".venv/bin/python -m ruff format --check .",
        ".venv/bin/python -m mypy",
    ]
    # pre-commit would append the changed files' names (another command) unless told not to, and
    # `unsupported` is the language that runs the entry as it is (4.4's name for `system`).
    assert {(hook["language"], hook["pass_filenames"]) for hook in local["hooks"]} == {("unsupported", False)}
    assert config["minimum_pre_commit_version"] == "4.4.0"


def test_mypy_checks_the_owners_code_strictly_with_pydantics_plugin() -> None:
    """pyproject.toml's [tool.mypy]: strict, pydantic's plugin, over __main__.py, actions/ and tests/."""
    text = (TEMPLATE / "pyproject.toml.jinja").read_text().replace("{{ description | tojson }}", '"x"')
    mypy = tomllib.loads(text.replace("{{ project_slug }}", "x"))["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["plugins"] == ["pydantic.mypy"]
    assert mypy["files"] == ["__main__.py", "actions", "tests"]
    dev = (TEMPLATE / "requirements-dev.txt.jinja").read_text().splitlines()
    assert [line for line in dev if line.startswith("mypy")] == ["mypy>=1.13,<3"]


@pytest.fixture(scope="module")
def installed_project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default project, installed as `make install` does, its .venv the shared one, in a git repository."""
    project = render(template_repo, tmp_path_factory.mktemp("tooling") / "project", {})
    run(["make", "install", f"VENV={SHARED_VENV}"], cwd=project)
    (project / ".venv").symlink_to(SHARED_VENV, target_is_directory=True)
    commit_all(project, "rendered")
    return project


@pytest.mark.slow
def test_precommit_run_all_files_passes_in_a_rendered_project(
    installed_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pre-commit run --all-files` accepts the config and passes every hook on a new project."""
    require_module("pre_commit", "pre-commit runs the generated project's hooks")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    result = run(
        [str(SHARED_VENV / "bin" / "python"), "-m", "pre_commit", "run", "--all-files"], cwd=installed_project
    )
    passed = [line for line in result.stdout.splitlines() if line.endswith("Passed")]
    assert [line.split(".", 1)[0] for line in passed] == ["ruff check", "ruff format --check", "mypy"]


# ruff-clean files with type errors only mypy finds: an unannotated function in an action, and a
# test passing the package's ActionResult.ok an int for its summary. The third imports boto3,
# which ships no types: no error.
TYPE_ERRORS = {
    "actions/helper.py": '"""A helper."""\n\n\ndef double(value):\n    return value * 2\n',
    "tests/test_typed_use.py": (
        '"""Uses the package\'s types wrongly."""\n\nfrom governed_assistant import ActionResult\n\n\n'
        'def test_ok() -> None:\n    """ok takes a summary."""\n'
        '    assert ActionResult.ok(3).status == "succeeded"\n'
    ),
    "actions/storage.py": (
        '"""Calls AWS."""\n\nfrom typing import Any\n\nimport boto3\n\n\n'
        'def client() -> Any:\n    """An S3 client."""\n    return boto3.client("s3")\n'
    ),
}


@pytest.mark.slow
def test_make_lint_fails_on_type_errors_in_the_owners_code(installed_project: Path) -> None:
    """mypy, in `make lint`, refuses an unannotated action and a wrong argument to the package's API."""
    try:
        for name, text in TYPE_ERRORS.items():
            (installed_project / name).write_text(text)
        result = run(["make", "lint", f"VENV={SHARED_VENV}"], cwd=installed_project, check=False)
    finally:
        for name in TYPE_ERRORS:
            (installed_project / name).unlink()
    assert result.returncode != 0
    errors = sorted(re.findall(r"^(\S+?):\d+: error: .*\[([a-z-]+)\]$", result.stdout, re.MULTILINE))
    assert errors == [("actions/helper.py", "no-untyped-def"), ("tests/test_typed_use.py", "arg-type")]
